import type { IHeaders, Kafka } from 'kafkajs';
import type { Clock } from '../clock.ts';
import type { CursorStore } from '../cursor/index.ts';
import { fetchEndOffsets, readTopic } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { type Metrics, noopMetrics } from '../metrics/index.ts';
import type { PackedMessages, Publisher } from '../producer/index.ts';
import { MessagePacker } from '../producer/index.ts';
import type { SchemaCatalog } from '../schemas/index.ts';
import {
  CE_ID,
  CE_SOURCE,
  CE_TIME,
  cloudEventHeaderFactory,
  cloudEventHeaders,
  cloudEventSource,
  STREAM_HEADER,
} from '../schemas/index.ts';
import type { FetchedPage, StreamCursor, StreamDefinition } from '../streams/stream.ts';
import { SeenWindow } from './seen-window.ts';

export interface StreamRunnerDeps {
  kafka: Kafka;
  publisher: Publisher;
  catalog: SchemaCatalog;
  cursors: CursorStore;
  dlqTopic: string;
  connection: string;
  instance: string;
  clock: Clock;
  logger: Logger;
  /** Counts committed pages, records and commit times (default: counts nothing). */
  metrics?: Metrics;
}

/** A page ready to publish: its messages (records and dead letters) and its checkpoint. */
interface PreparedPage<Raw, C> {
  records: readonly Raw[];
  fetched: number;
  published: number;
  deadLettered: number;
  messages: PackedMessages;
  cursor: C;
}

/** Figures of one pass, for logs, tests and the benchmark. */
export interface PassStats {
  pages: number;
  fetched: number;
  published: number;
  duplicates: number;
  deadLettered: number;
}

/** Stats of nothing done yet (a fresh object each call: callers add to it). */
export const noStats = (): PassStats => ({ pages: 0, fetched: 0, published: 0, duplicates: 0, deadLettered: 0 });

/**
 * Runs one stream: resumes from the committed cursor, fetches pages in series (the next page is
 * requested while the current one is produced), and commits each page's records together with
 * its cursor checkpoint in one Kafka transaction. The Redis mirror is written after the commit.
 * Records whose id was published inside the look-back window are not published again; records
 * that cannot be encoded go to the dead-letter topic with the reason.
 */
export class StreamRunner<Raw, C extends StreamCursor> {
  readonly def: StreamDefinition<Raw, C>;
  #deps: StreamRunnerDeps;
  #log: Logger;
  #cursor!: C;
  #schemaId!: number;
  #seen: SeenWindow;
  /** Offsets at which each retained page began (oldest first), for the checkpoint's lookbackFrom. */
  #pageStarts: { newest: number; offsets: Record<string, number> }[] = [];
  #endOffsets: Record<string, number> = {};
  /** The Redis mirror writes, in commit order. */
  #mirroring: Promise<void> = Promise.resolve();
  #source: string;
  /** CloudEvents headers of this stream's records (plus the stream's name). */
  #headers: (id: string, time: number) => IHeaders;
  /** Bytes to start the next page's buffer with: a little more than the last page took. */
  #pageCapacity = 64 * 1024;

  constructor(def: StreamDefinition<Raw, C>, deps: StreamRunnerDeps) {
    this.def = def;
    this.#deps = deps;
    this.#log = deps.logger.child({ stream: def.name });
    this.#seen = new SeenWindow(def.lookbackMs);
    this.#source = cloudEventSource(deps.instance);
    this.#headers = cloudEventHeaderFactory(
      { source: deps.instance, type: def.eventType },
      { [STREAM_HEADER]: def.name },
    );
  }

  get cursor(): C {
    return this.#cursor;
  }

  /** The checkpoint key of this stream on the checkpoints topic. */
  static checkpointKey(connection: string, stream: string): string {
    return `${connection}:${stream}`;
  }

  /**
   * Registers the schema and restores the cursor: whichever of Kafka's checkpoint and Redis's
   * mirror has the higher sequence wins (Kafka is the truth; Redis is never ahead of it unless
   * Kafka's copy was lost). Re-reads the look-back window from Kafka so restarts de-duplicate too.
   */
  async init(fromKafka: C | undefined): Promise<void> {
    const { catalog, cursors, connection, clock } = this.#deps;
    this.#schemaId = await catalog.register(this.def.topic, this.def.schema());
    const fromRedis = (await cursors.get(connection, this.def.name)) as unknown as C | undefined;
    const candidates = [fromKafka, fromRedis].filter((c): c is C => c !== undefined);
    this.#cursor = candidates.sort((a, b) => b.seq - a.seq)[0] ?? this.def.initialCursor(clock.now());
    this.#endOffsets = await fetchEndOffsets(this.#deps.kafka, this.def.topic);
    if (this.def.lookbackMs > 0 && this.#cursor.lookbackFrom) await this.#rebuildSeen(this.#cursor.lookbackFrom);
    this.#log.info(
      { seq: this.#cursor.seq, phase: this.#cursor.phase, remembered: this.#seen.size },
      'stream restored',
    );
  }

  async #rebuildSeen(from: Record<string, number>): Promise<void> {
    let newest = Number.NEGATIVE_INFINITY;
    await readTopic(this.#deps.kafka, this.def.topic, {
      from,
      onMessage: (message) => {
        const h = message.headers ?? {};
        if (String(h[CE_SOURCE] ?? '') !== this.#source || String(h[STREAM_HEADER] ?? '') !== this.def.name) return;
        const time = Date.parse(String(h[CE_TIME]));
        this.#seen.add(String(h[CE_ID]), time);
        newest = Math.max(newest, time);
      },
    });
    this.#pageStarts = [{ newest, offsets: { ...from } }];
  }

  /** Runs one pass to its end (resuming a pass in progress). Stops between pages when `signal` aborts. */
  async runPass(signal: AbortSignal): Promise<PassStats> {
    const stats = noStats();
    const ctx = { clock: this.#deps.clock, logger: this.#log, signal };
    if (!this.def.inPass(this.#cursor)) this.#cursor = this.def.beginPass(this.#cursor, this.#deps.clock.now());
    let tip = this.#cursor;
    let fetching: Promise<FetchedPage<Raw, C>> | undefined = this.def.fetchPage(tip, ctx);
    let publishing: Promise<void> | undefined;
    try {
      while (fetching) {
        const page: FetchedPage<Raw, C> = await fetching;
        // Ask for page N+1 while page N is produced: still one request at a time.
        fetching = page.done || signal.aborted ? undefined : this.def.fetchPage(page.cursor, ctx);
        fetching?.catch(() => {}); // surfaced when awaited
        // Encode page N while page N-1's transaction is on the wire; one transaction at a time.
        const prepared = this.#prepare(page, tip, stats);
        tip = prepared.cursor;
        await publishing;
        publishing = this.#publish(prepared, stats);
      }
      await publishing;
    } finally {
      // A page already handed to Kafka finishes before the pass returns or throws (a failure of
      // its own was thrown above).
      await publishing?.catch(() => {});
      await this.#mirroring;
    }
    return stats;
  }

  /**
   * Turns a fetched page into the messages and checkpoint of one transaction. Records are encoded
   * straight into the page's packed buffer; one that cannot be becomes a dead letter instead.
   */
  #prepare(page: FetchedPage<Raw, C>, previous: C, stats: PassStats): PreparedPage<Raw, C> {
    const { catalog } = this.#deps;
    const schemaId = this.#schemaId;
    const pulledAt = this.#deps.clock.now();
    const packer = new MessagePacker(this.#pageCapacity);
    let published = 0;
    let deadLettered = 0;
    for (const raw of page.records) {
      let id = '';
      try {
        const rec = this.def.toRecord(raw, pulledAt);
        id = rec.id;
        if (this.def.lookbackMs > 0 && this.#seen.has(rec.id)) {
          stats.duplicates++;
          continue;
        }
        const { value } = rec;
        const encoded =
          value === null ? null : (out: Buffer, at: number) => catalog.encodeInto(schemaId, value, out, at);
        packer.add(this.def.topic, rec.key, encoded, this.#headers(rec.id, rec.time));
        // Remembered now, so the next page (prepared before this one commits) sees it; if this
        // page fails, the worker rebuilds the runner from Kafka and this memory is dropped.
        if (this.def.lookbackMs > 0) this.#seen.add(rec.id, rec.time);
        published++;
      } catch (err) {
        stats.deadLettered++;
        deadLettered++;
        this.#addDeadLetter(packer, raw, id, err);
      }
    }
    const messages = packer.finish();
    this.#pageCapacity = Math.ceil(messages.byteLength * 1.25);
    let lookbackFrom: Record<string, number> | undefined;
    if (this.def.lookbackMs > 0) {
      this.#seen.evict();
      const newest = this.#seen.horizon() + this.def.lookbackMs;
      this.#pageStarts.push({ newest, offsets: { ...this.#endOffsets } });
      this.#pageStarts = this.#pageStarts.filter((p) => p.newest >= newest - this.def.lookbackMs);
      lookbackFrom = this.#pageStarts[0]?.offsets;
    }
    const cursor: C = {
      ...page.cursor,
      seq: previous.seq + 1,
      updatedAt: new Date(pulledAt).toISOString(),
      lookbackFrom,
      published: (previous.published ?? 0) + published,
    };
    return { records: page.records, fetched: page.records.length, published, deadLettered, messages, cursor };
  }

  async #publish(page: PreparedPage<Raw, C>, stats: PassStats): Promise<void> {
    const { connection, cursors } = this.#deps;
    const sentAt = performance.now();
    const result = await this.#deps.publisher.publish({
      messages: page.messages,
      checkpoint: { key: StreamRunner.checkpointKey(connection, this.def.name), value: page.cursor },
    });
    // Committed: from here on the page is in Kafka exactly once.
    this.#cursor = page.cursor;
    (this.#deps.metrics ?? noopMetrics).pageCommitted({
      connection,
      stream: this.def.name,
      topic: this.def.topic,
      published: page.published,
      deadLettered: page.deadLettered,
      commitSeconds: (performance.now() - sentAt) / 1000,
    });
    for (const o of result.partitions) {
      // A lower bound of where the next page starts in this partition (other writers may add more).
      if (o.topic === this.def.topic) {
        this.#endOffsets[o.partition] = Math.max(this.#endOffsets[o.partition] ?? 0, Number(o.baseOffset));
      }
    }
    stats.pages++;
    stats.fetched += page.fetched;
    stats.published += page.published;
    this.def.afterCommit?.(page.records);
    // The mirror is a visible copy, off the hot path; its compare-and-set on seq keeps it monotonic.
    this.#mirroring = this.#mirroring.then(() =>
      cursors.set(connection, this.def.name, page.cursor).then(
        () => undefined,
        (err: unknown) => this.#log.warn({ err }, 'could not mirror the cursor to Redis'),
      ),
    );
  }

  #addDeadLetter(packer: MessagePacker, raw: Raw, id: string, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.#log.warn({ id, reason }, 'record sent to the dead-letter topic');
    const key = `${this.#deps.instance}:${id || 'unknown'}`;
    const value = Buffer.from(JSON.stringify({ reason, stream: this.def.name, topic: this.def.topic, raw }));
    packer.add(this.#deps.dlqTopic, key, value, {
      ...cloudEventHeaders({
        id: id || key,
        source: this.#deps.instance,
        type: 'io.marketostream.deadletter',
        time: this.#deps.clock.now(),
      }),
      'content-type': 'application/json',
      [STREAM_HEADER]: this.def.name,
    });
  }
}
