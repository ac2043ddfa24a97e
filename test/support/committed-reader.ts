import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The tests' own reader of a topic, independent of `src/` (it imports nothing from it), so an
 * exactly-once assertion does not rest on the code it checks. It uses a plain kafkajs consumer
 * with its isolation level set explicitly and its own consumer group, and reads every partition
 * to the end offsets the admin client reports when the read starts.
 */

/** One record as the checker read it. */
export interface CheckedRecord {
  partition: number;
  offset: string;
  key: string;
  /** The `ce_id` header (the record's event id), '' when absent. */
  id: string;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ReadOptions {
  /**
   * 'read_committed' (default): what a downstream consumer sees. 'read_uncommitted': aborted
   * transactions' records too (only meaningful once no transaction is open, when the end offsets
   * the admin client reports are the high watermarks).
   */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Reject when the end is not reached within this time. Default 60 s. */
  timeoutMs?: number;
}

const brokers = () => process.env.KAFKA_BROKERS!.split(',');

/** Every record of `topic` up to the end offsets at the start of the call, in offset order per partition. */
export async function readWholeTopic(topic: string, options: ReadOptions = {}): Promise<CheckedRecord[]> {
  const isolation = options.isolation ?? 'read_committed';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const kafka = new Kafka({ clientId: 'test-checker', brokers: brokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `test-checker-${randomUUID()}`;
  try {
    const ends = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(p.offset) > BigInt(p.low)) ends.set(p.partition, BigInt(p.offset));
    }
    const byPartition = new Map<number, Map<string, CheckedRecord>>();
    if (ends.size === 0) return [];

    const consumer = kafka.consumer({
      groupId,
      readUncommitted: isolation === 'read_uncommitted',
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const open = new Set(ends.keys());
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`checker: ${topic} not read to its end in ${timeoutMs} ms`)),
          timeoutMs,
        );
        // A batch of only transaction markers (or aborted records) never reaches eachBatch, so the
        // end of a partition is noticed on the batch-processed event, which fires for every batch.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const end = ends.get(payload.partition);
          if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) open.delete(payload.partition);
          if (open.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = ends.get(batch.partition);
              if (end === undefined) return;
              const records = byPartition.get(batch.partition) ?? new Map<string, CheckedRecord>();
              byPartition.set(batch.partition, records);
              for (const m of batch.messages) {
                if (BigInt(m.offset) >= end) break;
                const headers = Object.fromEntries(
                  Object.entries(m.headers ?? {}).map(([k, v]) => [k, v === undefined ? '' : String(v)]),
                );
                // Keyed by offset: a batch fetched again after a group re-join is not counted twice.
                records.set(m.offset, {
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key?.toString() ?? '',
                  id: headers.ce_id ?? '',
                  value: m.value,
                  headers,
                });
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return [...byPartition.keys()]
      .sort((a, b) => a - b)
      .flatMap((p) => [...byPartition.get(p)!.values()].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset))));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {
      // An empty group without offsets expires on its own.
    });
    await admin.disconnect();
  }
}

/**
 * Whether `topic` holds records of a transaction that is still open: some partition's high
 * watermark (what a read_uncommitted consumer can reach) lies beyond its last stable offset.
 * Meant for a small topic (it reads each partition's first batch from the start).
 */
export async function hasOpenTransaction(topic: string, timeoutMs = 10_000): Promise<boolean> {
  const kafka = new Kafka({ clientId: 'test-checker', brokers: brokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `test-checker-${randomUUID()}`;
  try {
    const stable = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.offset)]));
    const consumer = kafka.consumer({ groupId, readUncommitted: true, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      return await new Promise<boolean>((resolve, reject) => {
        // A partition that never had a record sends no batch: after the timeout, it counts as closed.
        const timer = setTimeout(() => resolve(false), timeoutMs);
        const seen = new Set<number>();
        consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
          seen.add(payload.partition);
          if (BigInt(payload.highWatermark) > (stable.get(payload.partition) ?? 0n)) {
            clearTimeout(timer);
            resolve(true);
          } else if (seen.size === stable.size) {
            clearTimeout(timer);
            resolve(false);
          }
        });
        consumer.run({ autoCommit: false, eachBatch: async () => {} }).catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {
      // An empty group without offsets expires on its own.
    });
    await admin.disconnect();
  }
}
