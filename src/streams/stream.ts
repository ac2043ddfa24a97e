import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

/** What every stream's cursor carries; the rest is the stream's own. */
export interface StreamCursor {
  /** Checkpoint sequence: grows by one with every committed page. */
  seq: number;
  /** `backfill` until the first pass reached the present, then `incremental`. */
  phase: 'backfill' | 'incremental';
  /** When this cursor was committed (ISO). */
  updatedAt: string;
  /** Kafka offsets (partition → offset) from which the stream's look-back window can be re-read. */
  lookbackFrom?: Record<string, number>;
  /**
   * Records the stream has committed to its topic (dead letters not included), counted in the
   * same transaction as the records, so it is what read_committed consumers have from the stream.
   * Absent in cursors older than the counter, which then counts from the next page on.
   */
  published?: number;
}

/** One page fetched from Marketo, ready to publish. */
export interface FetchedPage<Raw, C extends StreamCursor> {
  records: Raw[];
  /** The cursor to commit with this page. */
  cursor: C;
  /** No further page in this pass. */
  done: boolean;
}

/** A record as it goes to Kafka, before encoding. */
export interface OutgoingRecord {
  key: string;
  /** The Avro value, or null for a tombstone. */
  value: object | null;
  /** Marketo identity of the record: the CloudEvents id, and what de-duplication compares. */
  id: string;
  /** Event time (ms), for the CloudEvents time and the look-back window. */
  time: number;
}

/** What a stream gets from the runner at each call. */
export interface StreamContext {
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * A Marketo object as a declaration: where its records come from (paging and cursor), how each
 * becomes a keyed Avro record, and on which topic under which schema. One runner does fetching,
 * pacing, producing and checkpointing for all streams.
 */
export interface StreamDefinition<Raw, C extends StreamCursor> {
  /** Unique per connection; names the cursor (e.g. `activities.6-7-10`). */
  readonly name: string;
  readonly topic: string;
  /** CloudEvents type of its records. */
  readonly eventType: string;
  /** The Avro schema of the values (registered as `<topic>-value`). */
  schema(): object;
  /** The cursor of a stream that has never run. */
  initialCursor(now: number): C;
  /** The cursor a new pass starts from (a pass in progress is resumed as it is). */
  beginPass(cursor: C, now: number): C;
  /** True while the cursor stands inside a pass (a crash there resumes the same pass). */
  inPass(cursor: C): boolean;
  /** Fetches the page after `cursor`. Malformed pages throw (and are retried), never half-publish. */
  fetchPage(cursor: C, ctx: StreamContext): Promise<FetchedPage<Raw, C>>;
  /** The record to publish for a raw Marketo record. Throwing sends the raw record to the dead-letter topic. */
  toRecord(raw: Raw, pulledAt: number): OutgoingRecord;
  /**
   * Records already published are recognised by id for this long behind the newest event time
   * (0: no de-duplication).
   */
  readonly lookbackMs: number;
  /** Called after a page is committed (e.g. to queue the leads it touched), with the very records array `fetchPage` returned. */
  afterCommit?(records: readonly Raw[]): void;
}

/** A stream of any record and cursor type: the runner and the stream set treat them alike. */
// biome-ignore lint/suspicious/noExplicitAny: streams differ in record and cursor types.
export type AnyStreamDefinition = StreamDefinition<any, any>;
