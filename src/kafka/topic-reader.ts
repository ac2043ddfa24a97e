import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { writeReadBarriers } from './read-barrier.ts';

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
  await readRange(kafka, topic, {
    ...options,
    onlyNamed: options.from !== undefined,
    maxRecords: Number.POSITIVE_INFINITY,
  });
}

export interface ReadTopicSliceOptions {
  /** Partition → first offset to read; partitions not named are read from their start. */
  from: Record<string, number>;
  /** Stop after this many records were handed to `onMessage` (the slice may end mid-partition). */
  maxRecords: number;
  onMessage: (message: KafkaMessage, partition: number) => void;
  /** Give up (reject) when the slice is not read within this time. Default 30 s. */
  timeoutMs?: number;
  /**
   * Read to a barrier written under this key (see {@link writeReadBarriers}) instead of the last
   * stable offsets: the read then covers every record committed before the call, waiting for the
   * transactions still open at the call to complete. Records under this key are never handed to
   * `onMessage`. Without it, records of transactions open at the call are not waited for.
   */
  barrierKey?: string;
  /**
   * Bytes one fetch may bring (a quarter of it per partition; a larger record still comes whole).
   * Default kafkajs's 10 MB: a reader that runs beside a backfill can bound its memory with less.
   */
  maxBytes?: number;
}

/** Where a slice ended. */
export interface TopicSlice {
  /** Partition → the offset after the last record read (every partition of the topic): resume from here. */
  next: Record<string, number>;
  /** Every partition was read to its end (the last stable offset at the call, or its barrier). */
  complete: boolean;
}

/**
 * Reads at most `maxRecords` committed records of `topic` from `from` (read_committed, up to the
 * last stable offsets at the start, or up to the barriers), and says where to resume: every record
 * before `next` was handed to `onMessage`, none after. Records arrive in offset order per partition.
 */
export async function readTopicSlice(kafka: Kafka, topic: string, options: ReadTopicSliceOptions): Promise<TopicSlice> {
  return readRange(kafka, topic, { ...options, onlyNamed: false });
}

/** One partition as a read finds it when it starts. */
export interface PartitionBounds {
  partition: number;
  /** The first offset the partition still holds. */
  low: bigint;
  /** Its last stable offset. */
  stable: bigint;
  /** The offset of the read barrier written to it for this read, if any. */
  barrier?: bigint;
}

/** What a read has to consume: `ranges` by partition, and the position it reaches when they are read. */
export interface ReadPlan {
  /** Partition → [start, end): the offsets still to read. */
  ranges: Map<number, { start: bigint; end: bigint }>;
  /** Partition → where the read resumes until it delivers records (a partition with nothing to read: already there). */
  next: Record<string, number>;
}

/**
 * The offsets a read of `partitions` consumes. A partition starts at `from`'s offset (never below
 * its `low`), or at `low` when `from` does not name it. It ends at its last stable offset, or with
 * a barrier, after the barrier: the barrier's arrival is what tells that every record before it is
 * stable. A partition whose start is its barrier has nothing new and is not read: every record
 * before it was read, stable, by the read that ended there.
 */
export function planRead(partitions: readonly PartitionBounds[], from: Record<string, number> | undefined): ReadPlan {
  const ranges = new Map<number, { start: bigint; end: bigint }>();
  const next: Record<string, number> = {};
  for (const { partition, low, stable, barrier } of partitions) {
    const named = from?.[String(partition)];
    const start = named === undefined || BigInt(named) < low ? low : BigInt(named);
    if (barrier !== undefined && start >= barrier) {
      next[String(partition)] = Number(barrier + 1n);
      continue;
    }
    const end = barrier === undefined ? stable : barrier + 1n;
    next[String(partition)] = Number(start);
    if (end > start) ranges.set(partition, { start, end });
  }
  return { ranges, next };
}

async function readRange(
  kafka: Kafka,
  topic: string,
  options: Omit<ReadTopicSliceOptions, 'from'> & { onlyNamed: boolean; from?: Record<string, number> },
): Promise<TopicSlice> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { barrierKey } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs lists offsets as read_committed: `offset` is the last stable offset.
    const bounds: PartitionBounds[] = (await admin.fetchTopicOffsets(topic))
      .filter(({ partition }) => !options.onlyNamed || options.from?.[String(partition)] !== undefined)
      .map(({ partition, offset, low }) => ({ partition, low: BigInt(low), stable: BigInt(offset) }));
    if (barrierKey !== undefined) {
      const barriers = await writeReadBarriers(
        kafka,
        topic,
        bounds.map((b) => b.partition),
        barrierKey,
      );
      for (const b of bounds) b.barrier = barriers.get(b.partition);
    }
    const plan = planRead(bounds, options.from);
    const { next } = plan;
    const starts = new Map([...plan.ranges].map(([p, r]) => [p, r.start]));
    const remaining = new Map([...plan.ranges].map(([p, r]) => [p, r.end]));
    if (remaining.size === 0) return { next, complete: true };

    const groupId = `marketo-stream-reader-${randomUUID()}`;
    const fetchBytes = options.maxBytes
      ? { maxBytes: options.maxBytes, maxBytesPerPartition: options.maxBytes / 4 }
      : {};
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, ...fetchBytes });
    await consumer.connect();
    let delivered = 0;
    let stopped = false;
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              // A busy broker or process, not a fault of the topic: trying again later is the cure.
              new MarketoStreamError(
                ErrorCodes.KAFKA_READ_TIMEOUT,
                `${topic} not read to its end within ${timeoutMs} ms`,
                { retriable: true },
              ),
            ),
          timeoutMs,
        );
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        // Skip ahead to the start offsets. kafkajs accepts a seek only while its consumer group
        // exists: normally right after run(), but a crash-restart of the group (e.g. the
        // coordinator of a new group not being ready yet) drops it, so seek again on every join.
        // Records before a start, or already delivered, are filtered out below: a late or repeated
        // seek costs reading, never a record twice.
        const seekStarts = () => {
          try {
            for (const [partition, start] of starts) consumer.seek({ topic, partition, offset: start.toString() });
          } catch (err) {
            if (!/not initialized/.test((err as Error).message)) throw err;
          }
        };
        consumer.on(consumer.events.GROUP_JOIN, seekStarts);
        // Batch events also fire for batches holding only transaction markers or aborted
        // records, which eachBatch never sees: they are how the end of a partition is noticed.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          if (stopped) return;
          const end = remaining.get(payload.partition);
          if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) {
            remaining.delete(payload.partition);
            next[String(payload.partition)] = Number(end);
          }
          if (remaining.size === 0) finish();
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const start = starts.get(batch.partition);
              const end = remaining.get(batch.partition);
              if (stopped || start === undefined || end === undefined) return; // a partition not asked for
              for (const message of batch.messages) {
                const offset = BigInt(message.offset);
                // Before the start (fetched before the seek took effect) or already delivered
                // (read again after a re-join): each record is delivered once.
                if (offset < BigInt(next[String(batch.partition)] ?? start)) continue;
                if (offset >= end) break;
                const isBarrier = barrierKey !== undefined && message.key?.toString() === barrierKey;
                if (!isBarrier) options.onMessage(message, batch.partition);
                next[String(batch.partition)] = Number(offset + 1n);
                if (!isBarrier && ++delivered >= options.maxRecords) {
                  stopped = true;
                  finish();
                  return;
                }
              }
            },
          })
          .then(seekStarts)
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {
        // Best effort: an empty group without offsets expires on its own.
      });
    }
    return { next, complete: remaining.size === 0 };
  } finally {
    await admin.disconnect();
  }
}
