import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import { CursorStore } from '../cursor/index.ts';
import { ErrorCodes, hasCode } from '../errors.ts';
import type { TopicNames } from '../kafka/index.ts';
import { isKafkaUnavailable } from '../kafka/outage.ts';
import { ConnectionLease, reconnectWhileLeased } from '../lease/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { CheckpointIndex } from '../producer/index.ts';
import { asRedisUnavailable } from '../redis/index.ts';
import { type RetryDecision, retriableDecision, retry } from '../retry/index.ts';
import type { SchemaCatalog } from '../schemas/index.ts';
import type { ConnectionStatusWriter } from '../status/index.ts';
import { type StreamCursor, StreamSet } from '../streams/index.ts';
import type { ConnectionDeps } from './connection-deps.ts';
import { untilNextPass } from './pass-schedule.ts';
import { streamSetUpSlots } from './set-up-slots.ts';
import { noStats, type PassStats, StreamRunner } from './stream-runner.ts';

export interface ConnectionWorkerDeps extends ConnectionDeps {
  config: Readonly<Config>;
  connection: Readonly<ConnectionConfig>;
  topics: TopicNames;
  kafka: Kafka;
  redis: Redis;
  catalog: SchemaCatalog;
  clock: Clock;
  /** Already bound to the connection. */
  logger: Logger;
  /** Where committed pages are counted (default: nowhere). */
  metrics?: Metrics;
  /** Where the worker records running / paused-quota / waiting (the supervisor writes failed and stopped). */
  status?: ConnectionStatusWriter;
  /** The process's committed checkpoints: asked only after the publisher (re)connected. */
  checkpoints: Pick<CheckpointIndex, 'checkpointsFor'>;
}

export interface RunOptions {
  signal: AbortSignal;
  /** Return once every stream has caught up with the present (the demo and tests use this). */
  untilCaughtUp?: boolean;
}

/** Totals of a run, summed over streams and passes. */
export type RunStats = PassStats;

/**
 * A wait between passes at least this long lets the connection's producer go (its broker
 * connections, buffers and metadata), so an idle connection costs little memory; shorter waits
 * keep it, since connecting again costs a few broker round trips.
 */
const RELEASE_PRODUCER_MIN_IDLE_MS = 30_000;

/** Backoff of a failed pass: full jitter from 2 s, doubling, capped at a minute. */
const PASS_BACKOFF = { baseDelayMs: 2_000, maxDelayMs: 60_000 };

/**
 * How a failed pass is retried: a spent budget waits until the reset the error names (a minute
 * when it names none); a Kafka outage is waited out; other failures by their `retriable` flag.
 */
function passRetryDecision(err: unknown): RetryDecision {
  if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) {
    return { retry: true, waitMs: Math.max(err.retryAfterMs ?? 60_000, 1_000) };
  }
  if (isKafkaUnavailable(err)) return { retry: true };
  // A Redis outage anywhere (lease, status, mirrors) waits like any transient failure.
  return retriableDecision(asRedisUnavailable(err));
}

/**
 * Pulls one Marketo connection: backfill, then increments on an interval, every stream through
 * one StreamRunner. Pauses when the daily budget is spent and resumes by itself after the reset;
 * retries transient failures; ends the run on any other error (naming it; the supervisor decides
 * what follows) or when fenced by another worker. Records its state in `status` when given.
 */
export class ConnectionWorker {
  #d: ConnectionWorkerDeps;
  #log: Logger;
  #runners: StreamRunner<unknown, StreamCursor>[] = [];
  /** The runners must be (re)built from the committed checkpoints before the next pass. */
  #stale = true;
  /** A pass failed since the last rebuild: its transaction may be in doubt. */
  #passFailed = false;
  #lease?: ConnectionLease;

  constructor(deps: ConnectionWorkerDeps) {
    this.#d = deps;
    this.#log = deps.logger;
  }

  /** Runs until `signal` aborts (or, with untilCaughtUp, until every stream is current). */
  async run(options: RunOptions): Promise<RunStats> {
    const totals: RunStats = noStats();
    const { config, connection, clock, publisher } = this.#d;
    // Asks the instance for its types and lead fields afresh each run.
    const streams = new StreamSet(connection, { ...this.#d, settings: config });
    const lease = new ConnectionLease({
      redis: this.#d.redis,
      connection: connection.id,
      logger: this.#log,
      ttlMs: config.leaseTtlSeconds * 1000,
    });
    this.#lease = lease;
    await this.#d.status?.set('waiting', { reason: 'waiting for the connection lease' });
    // A Redis outage at start (REDIS_UNAVAILABLE) is waited out like any transient failure.
    if (!(await this.#retrying(options.signal, () => lease.acquire(options.signal)))) return totals;
    // Losing the lease stops this worker between pages; Kafka fences it if it is slower than that.
    const signal = AbortSignal.any([options.signal, lease.lost]);
    try {
      await publisher.connect();
      while (!signal.aborted) {
        const passStartedAt = clock.now();
        await this.#d.status?.set('running');
        if (this.#stale) await this.#retrying(signal, () => this.#setUp(streams, signal));
        for (const name of this.#runners.map((r) => r.def.name)) {
          const stats = await this.#retrying(signal, () => this.#runPass(streams, name, signal));
          if (stats) for (const k of Object.keys(totals) as (keyof RunStats)[]) totals[k] += stats[k];
        }
        if (options.untilCaughtUp && this.#caughtUp()) break;
        const idleMs = untilNextPass(passStartedAt, config.incrementIntervalSeconds * 1000, clock.now());
        const release = idleMs >= RELEASE_PRODUCER_MIN_IDLE_MS;
        if (release) await publisher.disconnect();
        await clock.sleep(idleMs, signal);
        // Connecting again fences whoever holds the transactional id: only while the lease is still
        // ours (a lost lease aborts `signal`). A failed connect is retried here, not by a restart.
        if (release && !signal.aborted) {
          await this.#retrying(signal, () => reconnectWhileLeased(lease, publisher));
        }
      }
      this.#log.info(totals, 'connection worker stopped');
      return totals;
    } finally {
      await publisher.disconnect();
      await lease.release();
    }
  }

  #caughtUp(): boolean {
    return !this.#stale && this.#runners.every((r) => r.cursor.phase === 'incremental' && !r.def.inPass(r.cursor));
  }

  /**
   * One pass of the named stream. After any failure the runners are rebuilt from Kafka's
   * checkpoints before the retry: a failed commit may in fact have committed, and only the
   * checkpoint topic says where the stream really stands.
   */
  async #runPass(streams: StreamSet, name: string, signal: AbortSignal): Promise<PassStats | undefined> {
    if (this.#stale) await this.#setUp(streams, signal);
    const runner = this.#runners.find((r) => r.def.name === name);
    if (!runner) return undefined;
    try {
      return await runner.runPass(signal);
    } catch (err) {
      this.#stale = true;
      this.#passFailed = true;
      throw err;
    }
  }

  /** {@link #build}, in one of the process's set-up slots (a few connections at a time). */
  async #setUp(streams: StreamSet, signal: AbortSignal): Promise<void> {
    await streamSetUpSlots.run(() => this.#build(streams), signal);
  }

  /** Builds the stream set and a runner per stream, each restored from its committed checkpoint. */
  async #build(streams: StreamSet): Promise<void> {
    const { connection: c, topics, kafka } = this.#d;
    if (this.#passFailed) {
      // A commit whose answer was lost (the broker went away) may still complete: settle it
      // before the checkpoints are read, or they would be stale and the page published twice.
      await reconnectWhileLeased(this.#lease!, this.#d.publisher);
      this.#passFailed = false;
    }
    const checkpoints = await this.#d.checkpoints.checkpointsFor(c.id);
    const definitions = await streams.build([...checkpoints.keys()].map((k) => k.slice(c.id.length + 1)));
    this.#runners = definitions.map(
      (def) =>
        new StreamRunner(def, {
          kafka,
          publisher: this.#d.publisher,
          catalog: this.#d.catalog,
          cursors: new CursorStore({ redis: this.#d.redis, logger: this.#log }),
          dlqTopic: topics.dlq,
          connection: c.id,
          instance: c.instance,
          clock: this.#d.clock,
          logger: this.#log,
          metrics: this.#d.metrics,
        }),
    );
    const ready: StreamRunner<unknown, StreamCursor>[] = [];
    for (const runner of this.#runners) {
      const cursor = checkpoints.get(StreamRunner.checkpointKey(c.id, runner.def.name)) as StreamCursor | undefined;
      try {
        await runner.init(cursor);
        ready.push(runner);
      } catch (err) {
        // A schema the registry refuses is this stream's problem: the others go on (it is tried
        // again at the next rebuild, so it resumes once the subject's rules allow it).
        if (!hasCode(err, ErrorCodes.SCHEMA_REJECTED)) throw err;
        this.#log.error({ err, stream: runner.def.name }, 'schema rejected by the registry; this stream stops');
      }
    }
    this.#runners = ready;
    this.#stale = false;
  }

  /**
   * Runs `step` until it succeeds (the retry policy: a spent budget waits until the reset, transient
   * failures back off with jitter, fatal ones are rethrown). Returns undefined when `signal` aborted first.
   */
  async #retrying<T>(signal: AbortSignal, step: () => Promise<T>): Promise<T | undefined> {
    const { clock } = this.#d;
    // After Marketo's 607 the quota takes Marketo's own count before the pause is decided.
    const settled = () =>
      step().catch(async (err: unknown) => Promise.reject(await this.#d.quota.afterQuotaReached(err, signal)));
    try {
      return await retry(settled, {
        ...PASS_BACKOFF,
        clock,
        signal,
        classify: passRetryDecision,
        onRetry: (err, { delayMs }) => {
          const nextRetryAt = clock.now() + delayMs;
          if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) {
            void this.#d.status?.set('paused-quota', { reason: err.message, nextRetryAt });
            this.#log.warn(
              { resumesAt: new Date(clock.now() + delayMs).toISOString() },
              'daily API budget spent or Marketo said 607; pausing',
            );
          } else {
            void this.#d.status?.set('waiting', { reason: (err as Error).message ?? String(err), nextRetryAt });
            this.#log.warn({ err, waitMs: delayMs }, 'transient failure; retrying the pass');
          }
        },
      });
    } catch (err) {
      if (signal.aborted) return undefined;
      this.#log.error({ err }, 'error that a pass retry cannot fix; the run ends');
      throw err;
    }
  }
}
