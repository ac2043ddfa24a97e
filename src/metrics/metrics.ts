import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { CheckpointReadReport } from '../producer/index.ts';
import { CONNECTION_STATES, type StatusSnapshot } from '../status/index.ts';

/**
 * What the service counts, as small calls the code makes where things happen. Names and labels are
 * listed in the README; every method is cheap and never throws.
 */
export interface Metrics {
  /** One Marketo REST call ended: `outcome` is `success` or the error's code in lower case without its prefix (e.g. `rate_limited`). */
  marketoRequest(instance: string, endpoint: string, outcome: string): void;
  /** A page was committed: its records per topic (dead letters counted apart) and how long the commit took. */
  pageCommitted(page: CommittedPage): void;
  /** The checkpoint topic was read for connections that start or rebuild: from its start or caught up. */
  checkpointsRead(read: CheckpointReadReport): void;
}

/** What {@link Metrics.pageCommitted} is told about one committed page. */
export interface CommittedPage {
  connection: string;
  stream: string;
  /** The stream's topic. */
  topic: string;
  /** Records written to `topic`. */
  published: number;
  /** Records of the page sent to the dead-letter topic instead. */
  deadLettered: number;
  /** From sending the page to the end of its commit. */
  commitSeconds: number;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The caller's registry (never prom-client's global one). */
  registry: Registry;
  /**
   * Reads the quota, connection states and cursors when Prometheus scrapes (the gauges that live in
   * Redis). One read serves every gauge of a scrape.
   */
  snapshot?: () => Promise<StatusSnapshot>;
  /** Register the process metrics of prom-client (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** `MKTO_RATE_LIMITED` → `rate_limited`; anything without a code → `error`. */
export function outcomeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code.replace(/^MKTO_/, '').toLowerCase() : 'error';
}

/** Transaction commits are fast on a healthy cluster and seconds when a broker struggles. */
const COMMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long one scrape's Redis read is reused by the other gauges of that scrape. */
const SNAPSHOT_REUSE_MS = 1_000;

/**
 * The service's Prometheus metrics on `registry` (names `marketo_stream_…`). Counters are fed by the
 * returned object's methods; the gauges of quota, cursors and connection states are read from
 * Redis through `snapshot` at each scrape, so they hold for every worker's connections alike.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registers = [options.registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: options.registry });

  const requests = new Counter({
    name: 'marketo_stream_marketo_requests_total',
    help: 'Marketo REST calls by instance, endpoint and outcome (success or the error code)',
    labelNames: ['instance', 'endpoint', 'outcome'] as const,
    registers,
  });
  const published = new Counter({
    name: 'marketo_stream_records_published_total',
    help: 'Records committed to Kafka, by topic and stream',
    labelNames: ['topic', 'stream'] as const,
    registers,
  });
  const deadLettered = new Counter({
    name: 'marketo_stream_records_dead_lettered_total',
    help: 'Records sent to the dead-letter topic instead of their topic, by topic and stream',
    labelNames: ['topic', 'stream'] as const,
    registers,
  });
  const pages = new Counter({
    name: 'marketo_stream_pages_total',
    help: 'Pages committed (records and checkpoint in one transaction), by connection and stream',
    labelNames: ['connection', 'stream'] as const,
    registers,
  });
  const checkpointReads = new Counter({
    name: 'marketo_stream_checkpoint_reads_total',
    help: 'Reads of the checkpoint topic, from its start (full) or from where the last stopped (catch-up)',
    labelNames: ['kind'] as const,
    registers,
  });
  const checkpointRecords = new Counter({
    name: 'marketo_stream_checkpoint_records_read_total',
    help: 'Records read from the checkpoint topic, by kind of read',
    labelNames: ['kind'] as const,
    registers,
  });
  const commitSeconds = new Histogram({
    name: 'marketo_stream_transaction_commit_seconds',
    help: "Time from sending a page to the end of its transaction's commit",
    buckets: COMMIT_BUCKETS,
    registers,
  });

  if (options.snapshot) {
    const read = reused(options.snapshot);
    registerSnapshotGauges(registers, () => read().catch(() => undefined));
  }

  return {
    marketoRequest(instance, endpoint, outcome) {
      requests.inc({ instance, endpoint, outcome });
    },
    pageCommitted(p) {
      pages.inc({ connection: p.connection, stream: p.stream });
      if (p.published > 0) published.inc({ topic: p.topic, stream: p.stream }, p.published);
      if (p.deadLettered > 0) deadLettered.inc({ topic: p.topic, stream: p.stream }, p.deadLettered);
      commitSeconds.observe(p.commitSeconds);
    },
    checkpointsRead(r) {
      checkpointReads.inc({ kind: r.kind });
      checkpointRecords.inc({ kind: r.kind }, r.records);
    },
  };
}

/** Metrics that record nothing (unit tests, tools). */
export const noopMetrics: Metrics = Object.freeze({
  marketoRequest() {},
  pageCommitted() {},
  checkpointsRead() {},
});

/** `read`, shared by the calls that come within SNAPSHOT_REUSE_MS of the one that started it. */
function reused<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > SNAPSHOT_REUSE_MS) {
      last = { at: now, value: read() };
      // A failed read is not reused.
      last.value.catch(() => {
        last = undefined;
      });
    }
    return last.value;
  };
}

/**
 * Registers the gauges read from Redis. `snapshot` resolves undefined when Redis could not be read:
 * the gauges are then left empty for that scrape instead of failing the whole scrape.
 */
function registerSnapshotGauges(registers: Registry[], snapshot: () => Promise<StatusSnapshot | undefined>): void {
  const instanceGauge = (name: string, help: string, value: (i: StatusSnapshot['instances'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['instance'] as const,
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        if (!s) return;
        for (const i of s.instances) this.set({ instance: i.instance }, value(i));
      },
    });
  instanceGauge('marketo_stream_quota_used_calls', 'Marketo calls counted today on the instance', (i) => i.used);
  instanceGauge('marketo_stream_quota_limit_calls', "The instance's daily Marketo limit (dailyQuota)", (i) => i.limit);
  instanceGauge(
    'marketo_stream_quota_reserve_calls',
    "Calls per day left for the customer's other integrations (quotaReserve)",
    (i) => i.reserve,
  );
  instanceGauge(
    'marketo_stream_quota_reset_seconds',
    'Seconds until the daily quota resets (midnight in the quota time zone)',
    (i) => Math.max(0, (Date.parse(i.resetsAt) - Date.now()) / 1000),
  );
  instanceGauge('marketo_stream_quota_paused', '1 while the daily budget is spent (or Marketo said 607)', (i) =>
    i.paused ? 1 : 0,
  );
  new Gauge({
    name: 'marketo_stream_quota_limit_errors',
    help: "Marketo's 606 (rate), 607 (daily quota) and 615 (concurrency) answers today, by instance and code",
    labelNames: ['instance', 'code'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      for (const i of s.instances) {
        for (const [code, count] of Object.entries(i.errors)) this.set({ instance: i.instance, code }, count);
      }
    },
  });
  const streamGauge = (name: string, help: string, value: (v: { lagSeconds: number; seq: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['connection', 'stream'] as const,
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        if (!s) return;
        for (const c of s.connections) {
          for (const v of c.streams) this.set({ connection: c.connection, stream: v.stream }, value(v));
        }
      },
    });
  streamGauge(
    'marketo_stream_cursor_lag_seconds',
    "Seconds a stream is behind now (backfill: its newest record's age; incremental: time since its last commit)",
    (v) => v.lagSeconds,
  );
  streamGauge('marketo_stream_cursor_sequence', "The committed cursor's sequence (one more per page)", (v) => v.seq);
  new Gauge({
    name: 'marketo_stream_connection_state',
    help: "1 for a connection's current state (running, paused-quota, failed, waiting, stopped, unknown; paused is an older name of paused-quota), 0 for the others",
    labelNames: ['connection', 'state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      for (const c of s.connections) {
        for (const state of CONNECTION_STATES) this.set({ connection: c.connection, state }, c.state === state ? 1 : 0);
      }
    },
  });
}
