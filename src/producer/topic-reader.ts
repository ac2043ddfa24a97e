import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadTopicOptions {
  /** Partition → first offset to read; partitions not named are not read. Default: every partition from its start. */
  from?: Record<string, number>;
  /** Called for every committed record, in offset order per partition. */
  onMessage: (message: KafkaMessage, partition: number) => void;
  /** Give up (reject) when the end is not reached within this time. Default 30 s. */
  timeoutMs?: number;
}

/** The read_committed end (last stable offset) of every partition of `topic`, by partition. */
export async function fetchEndOffsets(kafka: Kafka, topic: string): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topic` as a read_committed consumer from `from` (or the start) up to the last stable
 * offset each partition has when the call starts, then returns. Records of transactions still
 * open at the start are not waited for. Uses a throwaway consumer group, deleted afterwards.
 */
export async function readTopic(kafka: Kafka, topic: string, options: ReadTopicOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs lists offsets as read_committed: `offset` is the last stable offset.
    const offsets = await admin.fetchTopicOffsets(topic);
    const starts = new Map<number, bigint>();
    const remaining = new Map<number, bigint>();
    for (const { partition, offset, low } of offsets) {
      const named = options.from?.[String(partition)];
      if (options.from && named === undefined) continue;
      const start = BigInt(Math.max(named ?? 0, Number(low)));
      if (BigInt(offset) > start) {
        starts.set(partition, start);
        remaining.set(partition, BigInt(offset));
      }
    }
    if (remaining.size === 0) return;

    const groupId = `marketo-stream-reader-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${topic} not read to its end within ${timeoutMs} ms`)),
          timeoutMs,
        );
        // Batch events also fire for batches holding only transaction markers or aborted
        // records, which eachBatch never sees: they are how the end of a partition is noticed.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const end = remaining.get(payload.partition);
          if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const start = starts.get(batch.partition);
              const end = remaining.get(batch.partition);
              if (start === undefined || end === undefined) return; // a partition not asked for
              for (const message of batch.messages) {
                const offset = BigInt(message.offset);
                if (offset < start) continue; // fetched before the seek took effect
                if (offset >= end) break;
                options.onMessage(message, batch.partition);
              }
            },
          })
          .then(() => {
            for (const [partition, start] of starts) consumer.seek({ topic, partition, offset: start.toString() });
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {
        // Best effort: an empty group without offsets expires on its own.
      });
    }
  } finally {
    await admin.disconnect();
  }
}
