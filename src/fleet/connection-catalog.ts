import type { Kafka } from 'kafkajs';
import { readFromOffsets } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { type ConnectionRecord, decodeConnectionRecord } from './connection-record.ts';

/**
 * Every worker's view of the connections topic: read from its start, then followed, so a change
 * made with `connections apply|remove` reaches every worker within about a second. The latest
 * record per key wins; a null value (or bytes that are not a record) removes the connection.
 */
export class ConnectionCatalog {
  #kafka: Kafka;
  #topic: string;
  #log: Logger;
  #records = new Map<string, ConnectionRecord>();
  #listeners = new Set<() => void>();
  #stop = new AbortController();
  #following?: Promise<void>;

  constructor(o: { kafka: Kafka; topic: string; logger: Logger }) {
    this.#kafka = o.kafka;
    this.#topic = o.topic;
    this.#log = o.logger.child({ component: 'connection-catalog' });
  }

  /** The connections now, by id. */
  get records(): ReadonlyMap<string, ConnectionRecord> {
    return this.#records;
  }

  /** Calls `listener` after each change of the set or of a connection's record. */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** Resolves once the topic has been read up to its end at the call; keeps following it until close(). */
  async start(): Promise<void> {
    const admin = this.#kafka.admin();
    await admin.connect();
    let offsets: { partition: number; low: string; high: string }[];
    try {
      offsets = await admin.fetchTopicOffsets(this.#topic);
    } finally {
      await admin.disconnect();
    }
    const left = new Map(offsets.filter((o) => o.high !== o.low).map((o) => [o.partition, Number(o.high)]));
    const { promise: loaded, resolve } = Promise.withResolvers<void>();
    if (left.size === 0) resolve();
    this.#following = readFromOffsets(this.#kafka, {
      start: { [this.#topic]: Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.low)])) },
      signal: this.#stop.signal,
      onRecord: ({ partition, message }) => {
        this.#apply(message.key?.toString() ?? '', message.value);
        const end = left.get(partition);
        if (end !== undefined && Number(message.offset) + 1 >= end) {
          left.delete(partition);
          if (left.size === 0) resolve();
        }
      },
    }).catch((err: unknown) => {
      this.#log.error({ err }, 'following the connections topic failed');
      throw err;
    });
    await Promise.race([loaded, this.#following]);
  }

  #apply(id: string, value: Buffer | null): void {
    if (id === '') return;
    const record = decodeConnectionRecord(value);
    const before = this.#records.get(id);
    if (record === undefined) {
      if (!this.#records.delete(id)) return;
      this.#log.info({ connection: id }, 'connection removed');
    } else {
      const same = before !== undefined && JSON.stringify(before) === JSON.stringify(record);
      if (same) return;
      this.#records.set(id, { ...record, id });
      this.#log.info({ connection: id }, before ? 'connection changed' : 'connection added');
    }
    for (const listener of this.#listeners) listener();
  }

  /** Stops following the topic. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#following?.catch(() => undefined);
  }
}
