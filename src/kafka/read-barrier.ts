import { type Kafka, Partitioners } from 'kafkajs';

/**
 * Writes one read barrier, a tombstone under `key`, to each of `partitions` of `topic` and resolves
 * with each barrier's offset, by partition. Every record written to a partition before the call
 * lies below its barrier, and a read_committed consumer is handed the barrier only once every
 * transaction with a record before it has completed (Kafka's last stable offset has passed it):
 * reading until the barrier arrives is reading everything committed before the call.
 *
 * The barrier is not transactional (a transaction's own records would wait for its commit) and is
 * written with acks from every in-sync replica, by a short-lived plain producer: not idempotent,
 * because a retried send that wrote the barrier twice is harmless (both are after the call; the
 * offset awaited is the one acknowledged), while an idempotent producer per read would leave a new
 * producer id in the partition's producer state on every read. All barriers share `key`, so
 * compaction keeps only the latest, and drops it too once it is older than `delete.retention.ms`.
 */
export async function writeReadBarriers(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  key: string,
): Promise<Map<number, bigint>> {
  const barriers = new Map<number, bigint>();
  if (partitions.length === 0) return barriers;
  // The partition is given explicitly; the partitioner only keeps kafkajs from warning about its default.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const written = await producer.send({
      topic,
      acks: -1,
      messages: partitions.map((partition) => ({ key, value: null, partition })),
    });
    for (const r of written) barriers.set(r.partition, BigInt(r.baseOffset ?? r.offset ?? -1));
  } finally {
    await producer.disconnect();
  }
  for (const partition of partitions) {
    const offset = barriers.get(partition);
    if (offset === undefined || offset < 0n) throw new Error(`${topic}[${partition}]: no offset for its read barrier`);
  }
  return barriers;
}
