import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { PartitionOffsets } from './offsets.ts';

/** One record handed to {@link readFromOffsets}'s callback. */
export interface PositionedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** Options of {@link readFromOffsets}. */
export interface ReadFromOffsetsOptions {
  /** Topic → partition → first offset to read. Partitions not named are not read. */
  start: Record<string, PartitionOffsets>;
  /**
   * Topic → partition → offset to stop before (e.g. `endOffsets` taken at the start). Without it
   * the reader follows the topics until `signal` aborts or `onRecord` returns false.
   */
  end?: Record<string, PartitionOffsets>;
  /** Called (and awaited) for every committed record, in offset order per partition; resolve false to stop reading. */
  onRecord: (record: PositionedRecord) => unknown;
  /** Called once the reader has reached `end` in every partition of `topic`. */
  onTopicEnd?: (topic: string) => Promise<void> | void;
  signal?: AbortSignal;
}

/**
 * Reads topics as a read_committed consumer from given offsets, in a throwaway consumer group
 * (deleted afterwards): each record once, in order per partition, awaited one at a time. Resolves
 * when every partition reached `end`, `onRecord` returned false, or `signal` aborted.
 */
export async function readFromOffsets(kafka: Kafka, o: ReadFromOffsetsOptions): Promise<void> {
  const next = new Map<string, number>();
  const stopAt = new Map<string, number>();
  const tp = (topic: string, partition: number | string) => `${topic}\u0000${partition}`;
  const pending = new Map<string, Set<string>>();
  for (const [topic, offsets] of Object.entries(o.start)) {
    pending.set(topic, new Set());
    for (const [partition, offset] of Object.entries(offsets)) {
      next.set(tp(topic, partition), offset);
      const end = o.end?.[topic]?.[partition];
      if (end !== undefined) stopAt.set(tp(topic, partition), end);
      if (end === undefined || end > offset) pending.get(topic)!.add(partition);
    }
  }
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const finish = () => {
    finished = true;
    resolveDone();
  };
  const partitionDone = async (topic: string, partition: number) => {
    const left = pending.get(topic);
    if (!left?.delete(String(partition))) return;
    if (left.size === 0) await o.onTopicEnd?.(topic);
    if (o.end && [...pending.values()].every((s) => s.size === 0)) finish();
  };
  if (o.end) {
    for (const [topic, left] of pending) if (left.size === 0) await o.onTopicEnd?.(topic);
    if ([...pending.values()].every((s) => s.size === 0)) return;
  }
  if (o.signal?.aborted) return;
  o.signal?.addEventListener('abort', finish, { once: true });

  const groupId = `marketo-stream-replay-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  const admin = kafka.admin();
  await consumer.connect();
  try {
    const topics = Object.keys(o.start);
    await consumer.subscribe({ topics, fromBeginning: true });
    // kafkajs accepts seeks only while the group exists, and a re-join resets positions: seek on every
    // join; records before a start, or already handed over, are filtered out below.
    const seekAll = () => {
      try {
        for (const [topic, offsets] of Object.entries(o.start)) {
          for (const partition of Object.keys(offsets)) {
            const offset = next.get(tp(topic, partition))!;
            consumer.seek({ topic, partition: Number(partition), offset: String(offset) });
          }
        }
      } catch (err) {
        if (!/not initialized/.test((err as Error).message)) throw err;
      }
    };
    consumer.on(consumer.events.GROUP_JOIN, seekAll);
    // Batches of markers or aborted records only never reach eachBatch: their end events show the end.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = stopAt.get(tp(payload.topic, payload.partition));
      if (!finished && end !== undefined && Number(payload.lastOffset) + 1 >= end) {
        void partitionDone(payload.topic, payload.partition);
      }
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const key = tp(batch.topic, batch.partition);
        const from = next.get(key);
        if (finished || from === undefined) return; // a partition not asked for
        const end = stopAt.get(key);
        for (const message of batch.messages) {
          if (finished) return;
          const offset = Number(message.offset);
          if (offset < next.get(key)!) continue;
          if (end !== undefined && offset >= end) break;
          next.set(key, offset + 1);
          if ((await o.onRecord({ topic: batch.topic, partition: batch.partition, message })) === false) {
            finish();
            return;
          }
          if (end !== undefined && offset + 1 >= end) await partitionDone(batch.topic, batch.partition);
        }
      },
    });
    seekAll();
    await done;
  } finally {
    o.signal?.removeEventListener('abort', finish);
    await consumer.disconnect();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
