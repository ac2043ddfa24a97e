/**
 * The Kafka record key of every Marketo record: `<instance>:<id>`. Activities are keyed by their
 * lead id and leads by theirs through this one function, so a lead and its activities hash to
 * the same partition of equally partitioned topics (co-partitioning).
 */
export function recordKey(instance: string, id: string | number): string {
  return `${instance}:${id}`;
}
