import type { Kafka } from 'kafkajs';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { readTopicSlice } from '../kafka/topic-reader.ts';
import type { Logger } from '../log.ts';

/** Partition → offset: where a read of the checkpoint topic stopped, and where the next one resumes. */
export type TopicPosition = Record<string, number>;

/**
 * One read_committed read of the checkpoint topic: every record from `from` (undefined: from the
 * start of every partition; a partition not named: from its start) that was committed before the
 * call, handed to `onRecord` in offset order per partition; records committed later may come too.
 * Transactions still open at the call are waited for. Resolves with the position reached.
 */
export type CheckpointTopicRead = (
  from: TopicPosition | undefined,
  onRecord: (key: string | undefined, value: Buffer | null, offset: string) => void,
) => Promise<TopicPosition>;

/** What a read of the checkpoint topic cost: `full` from the start, `catch-up` from the last position. */
export interface CheckpointReadReport {
  kind: 'full' | 'catch-up';
  /** Records read. */
  records: number;
  /** Requests it answered. */
  requests: number;
}

export interface CheckpointIndexOptions {
  read: CheckpointTopicRead;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
  /**
   * A read this long after the last full one starts over from the start instead of catching up.
   * Reading on from a position only sees tombstones that compaction still holds; they are kept for
   * the topic's `delete.retention.ms` (a day by default), far longer than this. Default 1 h.
   */
  fullReadAfterMs?: number;
  /** Where a checkpoint that is not JSON is reported (it is skipped). */
  logger?: Logger;
  /** Told about every read that completed (metrics, benches). */
  onRead?: (report: CheckpointReadReport) => void;
}

/** Default of {@link CheckpointIndexOptions.fullReadAfterMs}. */
export const FULL_READ_AFTER_MS = 3_600_000;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The committed checkpoints of every connection, for the connections of one process, read from the
 * checkpoint topic once and then caught up: a process that starts (or rebuilds) many connections
 * reads the topic from its start once, then only what was committed since, instead of the whole
 * topic once per connection.
 *
 * The exactly-once rule: {@link checkpointsFor} answers from a read of the topic that *started
 * after the call* (it sees every commit made before it started), never from what an earlier read
 * left in memory. So a caller that calls it only after its transactional producer's
 * InitProducerId returned (which settles a commit that was still pending) sees that commit, and
 * any other committed before the call. Calls that arrive while a read is running wait for the next
 * read, which serves them all together: a batch of connections starting at once costs one read.
 */
export class CheckpointIndex {
  readonly #read: CheckpointTopicRead;
  readonly #now: () => number;
  readonly #fullReadAfterMs: number;
  readonly #log?: Logger;
  readonly #onRead?: (report: CheckpointReadReport) => void;
  /** Latest committed value (JSON text) of every key, up to #position. */
  #values = new Map<string, string>();
  #position?: TopicPosition;
  #lastFullReadAt = 0;
  /** Calls that no started read can answer yet. */
  #waiting: Waiter[] = [];
  #reading = false;

  constructor(o: CheckpointIndexOptions) {
    this.#read = o.read;
    this.#now = o.now ?? Date.now;
    this.#fullReadAfterMs = o.fullReadAfterMs ?? FULL_READ_AFTER_MS;
    this.#log = o.logger;
    this.#onRead = o.onRead;
  }

  /**
   * The committed checkpoint of every stream of `connectionId`, by checkpoint key
   * (`<connectionId>:<stream>`), as of a read that started after this call (see the class). Call it
   * only once the connection's transactional producer is (re)initialised. Each call returns fresh
   * objects. Rejects when the read fails (e.g. the retriable KAFKA_READ_TIMEOUT).
   */
  checkpointsFor(connectionId: string): Promise<Map<string, object>> {
    return this.checkpointsUnder(`${connectionId}:`);
  }

  /** The committed value of every key starting with `keyPrefix`, under the same rule as {@link checkpointsFor}. */
  async checkpointsUnder(prefix: string): Promise<Map<string, object>> {
    await new Promise<void>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#reading) return;
      this.#reading = true;
      // Starting on the next turn lets the calls made in this one share the read.
      setImmediate(() => void this.#serve());
    });
    const result = new Map<string, object>();
    for (const [key, json] of this.#values) {
      if (key.startsWith(prefix)) result.set(key, JSON.parse(json) as object);
    }
    return result;
  }

  /** Reads until no call waits: each read answers the calls made before it started. */
  async #serve(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0);
        try {
          await this.#catchUp(batch.length);
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  /** Brings #values to everything committed until now; nothing changes if the read fails. */
  async #catchUp(requests: number): Promise<void> {
    const startedAt = this.#now();
    const full = this.#position === undefined || startedAt - this.#lastFullReadAt >= this.#fullReadAfterMs;
    // Applied only once the read completed, so a failed read leaves the index as it was.
    const changes = new Map<string, string | null>();
    let records = 0;
    const position = await this.#read(full ? undefined : this.#position, (key, value, offset) => {
      records++;
      if (key === undefined) return;
      if (value === null) {
        changes.set(key, null);
        return;
      }
      const json = value.toString();
      try {
        JSON.parse(json);
        changes.set(key, json);
      } catch (err) {
        this.#log?.warn({ err, key, offset }, 'skipping a checkpoint that is not JSON');
      }
    });
    const values = full ? new Map<string, string>() : this.#values;
    for (const [key, json] of changes) {
      if (json === null) values.delete(key);
      else values.set(key, json);
    }
    this.#values = values;
    this.#position = position;
    if (full) this.#lastFullReadAt = startedAt;
    this.#onRead?.({ kind: full ? 'full' : 'catch-up', records, requests });
  }
}

/**
 * The key of the read barriers on the checkpoint topic: never a checkpoint's (those are
 * `<connection>:<stream>`, and connection ids have no '#' or ':'). Its records are tombstones;
 * every reader of the topic skips it (this module's read never hands it over).
 */
export const CHECKPOINT_READ_BARRIER_KEY = '#read-barrier';

/**
 * {@link CheckpointTopicRead} on a real topic: writes a read barrier to each partition, then reads
 * it read_committed with a consumer of its own until the barrier arrives, which is once every
 * transaction begun before it has completed. So a checkpoint committed before the call is seen
 * even when it sits behind another producer's transaction that is still open (a last stable
 * offset taken at the call would stop before it); the wait for that transaction is bounded by its
 * producer's transaction timeout. Rejects with the retriable KAFKA_READ_TIMEOUT when the barrier
 * has not arrived within `timeoutMs` (default 30 s).
 */
export function kafkaCheckpointRead(kafka: Kafka, topic: string, timeoutMs?: number): CheckpointTopicRead {
  return async (from, onRecord) => {
    const slice = await readTopicSlice(kafka, topic, {
      from: from ?? {},
      maxRecords: Number.POSITIVE_INFINITY,
      timeoutMs,
      barrierKey: CHECKPOINT_READ_BARRIER_KEY,
      onMessage: (message) => onRecord(message.key?.toString(), message.value, message.offset),
    });
    if (!slice.complete) {
      throw new MarketoStreamError(ErrorCodes.KAFKA_READ_TIMEOUT, `${topic} not read to its end`, { retriable: true });
    }
    return slice.next;
  };
}
