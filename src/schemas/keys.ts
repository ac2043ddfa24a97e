/**
 * The Kafka record key of every Marketo record: `<instance>:<id>`. Activities are keyed by their
 * lead id and leads by theirs through this one function, so a lead and its activities hash to
 * the same partition of equally partitioned topics (co-partitioning).
 */
export function recordKey(instance: string, id: string | number): string {
  return `${instance}:${id}`;
}

/** A record key taken apart: the Marketo instance and the record's id (a lead id for leads and activities). */
export interface DecodedRecordKey {
  instance: string;
  id: string;
}

/**
 * The inverse of {@link recordKey}: undefined when `key` is not `<instance>:<id>` with both parts
 * non-empty and exactly one `:` (an instance id never contains one, see the config schema).
 */
export function decodeRecordKey(key: string): DecodedRecordKey | undefined {
  const at = key.indexOf(':');
  if (at <= 0 || at === key.length - 1 || key.includes(':', at + 1)) return undefined;
  return { instance: key.slice(0, at), id: key.slice(at + 1) };
}
