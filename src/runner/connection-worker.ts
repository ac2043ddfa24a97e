import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import { CursorStore } from '../cursor/index.ts';
import { ErrorCodes, hasCode } from '../errors.ts';
import type { TopicNames } from '../kafka/index.ts';
import { isKafkaUnavailable } from '../kafka/outage.ts';
import { ConnectionLease } from '../lease/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { readCheckpoints } from '../producer/index.ts';
import { asRedisUnavailable } from '../redis/index.ts';
import { type RetryDecision, retriableDecision, retry } from '../retry/index.ts';
import type { SchemaCatalog } from '../schemas/index.ts';
import type { ConnectionStatusWriter } from '../status/index.ts';
import { type AnyStreamDefinition, type StreamCursor, StreamSet } from '../streams/index.ts';
import type { ConnectionDeps } from './connection-deps.ts';
import { IdleProducer, RELEASE_PRODUCER_MIN_IDLE_MS } from './idle-producer.ts';
import { PublishQueue } from './publish-queue.ts';
import { streamSetUpSlots } from './set-up-slots.ts';
import { type Lane, runLanes } from './stream-lanes.ts';
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
}

export interface RunOptions {
  signal: AbortSignal;
  /** Return once every stream has caught up with the present (the demo and tests use this). */
  untilCaughtUp?: boolean;
}

/** Totals of a run, summed over streams and passes. */
export type RunStats = PassStats;

/** Backoff of a failed pass: full jitter from 2 s, doubling, capped at a minute. */
const PASS_BACKOFF = { baseDelayMs: 2_000, maxDelayMs: 60_000 };

/**
 * How a failed pass is retried: a spent budget waits until the reset the error names (a minute
 * when it names none); a Kafka outage is waited out; other failures by their `retriable` flag.
 * The wait runs to the reset's instant as of `now`: while this stream's failure made its way up,
 * its connection's other streams kept the time moving.
 */
function passRetryDecision(err: unknown, now: number): RetryDecision {
  if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) {
    const waitMs = err.retryAt === undefined ? (err.retryAfterMs ?? 60_000) : err.retryAt - now;
    return { retry: true, waitMs: Math.max(waitMs, 1_000) };
  }
  if (isKafkaUnavailable(err)) return { retry: true };
  // A Redis outage anywhere (lease, status, mirrors) waits like any transient failure.
  return retriableDecision(asRedisUnavailable(err));
}

/**
 * Pulls one Marketo connection: each stream backfills, then pulls increments on an interval, every
 * stream in a lane of its own, side by side (runLanes), through one StreamRunner each; their calls
 * share the connection's part of the instance's quota, their pages its one transactional publisher
 * (PublishQueue: one transaction at a time). Pauses when the daily budget is spent and resumes by
 * itself after the reset; retries a stream's transient failures (that stream only is rebuilt from
 * its checkpoint); ends the run on any other error (the other streams stop between pages; the
 * supervisor decides what follows) or when fenced by another worker. Records its state in `status`.
 */
export class ConnectionWorker {
  #d: ConnectionWorkerDeps;
  #log: Logger;
  /** The connection's publisher, shared by its streams one transaction at a time. */
  #publisher: PublishQueue;
  /** Each stream's runner; undefined while it must be rebuilt from its checkpoint (after a failure). */
  #runners = new Map<string, StreamRunner<unknown, StreamCursor> | undefined>();
  /** Steps now waiting to be retried (any of them: the status is `running` again once none is). */
  #failing = 0;

  constructor(deps: ConnectionWorkerDeps) {
    this.#d = deps;
    this.#log = deps.logger;
    this.#publisher = new PublishQueue(deps.publisher);
  }

  /** Runs until `signal` aborts (or, with untilCaughtUp, until every stream is current). */
  async run(options: RunOptions): Promise<RunStats> {
    const totals: RunStats = noStats();
    const { config, connection } = this.#d;
    // Asks the instance for its types and lead fields afresh each run.
    const streams = new StreamSet(connection, { ...this.#d, settings: config });
    const lease = new ConnectionLease({
      redis: this.#d.redis,
      connection: connection.id,
      logger: this.#log,
      ttlMs: config.leaseTtlSeconds * 1000,
    });
    await this.#d.status?.set('waiting', { reason: 'waiting for the connection lease' });
    // A Redis outage at start (REDIS_UNAVAILABLE) is waited out like any transient failure.
    if (!(await this.#retrying(options.signal, () => lease.acquire(options.signal)))) return totals;
    // Losing the lease stops this worker between pages; Kafka fences it if it is slower than that.
    const signal = AbortSignal.any([options.signal, lease.lost]);
    try {
      await this.#publisher.connect();
      await this.#d.status?.set('running');
      if (await this.#retrying(signal, () => this.#setUp(streams, signal).then(() => true))) {
        const lanes = [...this.#runners.values()].map((runner) => this.#lane(streams, runner!, totals));
        const intervalMs = config.incrementIntervalSeconds * 1000;
        const idle = new IdleProducer(this.#publisher, () => lease.confirm());
        await runLanes(lanes, {
          signal,
          clock: this.#d.clock,
          intervalMs,
          untilCaughtUp: options.untilCaughtUp,
          // A connection whose streams all pause long enough costs next to nothing meanwhile.
          onAllIdle: intervalMs >= RELEASE_PRODUCER_MIN_IDLE_MS ? () => idle.release() : undefined,
          beforePass: async (passSignal) => {
            await this.#retrying(passSignal, () => idle.resume());
          },
        });
      }
      this.#log.info({ ...totals, publishQueue: this.#publisher.stats }, 'connection worker stopped');
      return totals;
    } finally {
      await this.#publisher.disconnect();
      await lease.release();
    }
  }

  /** The lane of one stream: its passes, each retried by the policy, its stats added to `totals`. */
  #lane(streams: StreamSet, first: StreamRunner<unknown, StreamCursor>, totals: RunStats): Lane {
    const { name, topic, readsTopic } = first.def;
    return {
      name,
      topic,
      readsTopic,
      pass: async (signal) => {
        const stats = await this.#retrying(signal, () => this.#runPass(streams, name, signal));
        if (stats) for (const k of Object.keys(totals) as (keyof RunStats)[]) totals[k] += stats[k];
      },
      caughtUp: () => {
        if (!this.#runners.has(name)) return true; // dropped: nothing left to catch up
        const runner = this.#runners.get(name);
        return runner !== undefined && runner.cursor.phase === 'incremental' && !runner.def.inPass(runner.cursor);
      },
    };
  }

  /**
   * One pass of the named stream. After a failure the stream's runner is rebuilt from Kafka's
   * checkpoint before the retry: a failed commit may in fact have committed, and only the
   * checkpoint topic says where the stream really stands.
   */
  async #runPass(streams: StreamSet, name: string, signal: AbortSignal): Promise<PassStats | undefined> {
    if (!this.#runners.has(name)) return undefined; // dropped at a rebuild
    const runner = this.#runners.get(name) ?? (await streamSetUpSlots.run(() => this.#rebuild(streams, name), signal));
    if (!runner) return undefined;
    try {
      return await runner.runPass(signal);
    } catch (err) {
      this.#runners.set(name, undefined);
      throw err;
    }
  }

  /**
   * Builds the stream set and a runner per stream, each restored from its committed checkpoint; in
   * one of the process's set-up slots (a few connections at a time: each reads the checkpoints topic).
   */
  #setUp(streams: StreamSet, signal: AbortSignal): Promise<void> {
    return streamSetUpSlots.run(() => this.#build(streams), signal);
  }

  async #build(streams: StreamSet): Promise<void> {
    const checkpoints = await this.#checkpoints();
    this.#runners.clear();
    for (const def of await streams.build(this.#checkpointed(checkpoints))) {
      const runner = await this.#restore(def, checkpoints);
      if (runner) this.#runners.set(def.name, runner);
    }
  }

  /**
   * The runner of one stream again, from its committed checkpoint; undefined when the stream is no
   * longer built (its definition went) or its schema is refused. The publisher is connected again
   * first: a commit whose answer was lost (the broker went away) may still complete, so it is
   * settled before the checkpoint is read, or that would be stale and the page published twice.
   */
  async #rebuild(streams: StreamSet, name: string): Promise<StreamRunner<unknown, StreamCursor> | undefined> {
    await this.#publisher.connect();
    const checkpoints = await this.#checkpoints();
    const def = (await streams.build(this.#checkpointed(checkpoints))).find((d) => d.name === name);
    const runner = def && (await this.#restore(def, checkpoints));
    if (runner) this.#runners.set(name, runner);
    else {
      this.#log.warn({ stream: name }, 'stream not rebuilt; it stops until the next run');
      this.#runners.delete(name);
    }
    return runner;
  }

  #checkpoints(): Promise<Map<string, unknown>> {
    const { connection: c, topics, kafka } = this.#d;
    return readCheckpoints(kafka, topics.checkpoints, `${c.id}:`);
  }

  #checkpointed(checkpoints: Map<string, unknown>): string[] {
    return [...checkpoints.keys()].map((k) => k.slice(this.#d.connection.id.length + 1));
  }

  async #restore(
    def: AnyStreamDefinition,
    checkpoints: Map<string, unknown>,
  ): Promise<StreamRunner<unknown, StreamCursor> | undefined> {
    const { connection: c, topics, kafka } = this.#d;
    const runner = new StreamRunner<unknown, StreamCursor>(def, {
      kafka,
      publisher: this.#publisher,
      catalog: this.#d.catalog,
      cursors: new CursorStore({ redis: this.#d.redis, logger: this.#log }),
      dlqTopic: topics.dlq,
      connection: c.id,
      instance: c.instance,
      clock: this.#d.clock,
      logger: this.#log,
      metrics: this.#d.metrics,
    });
    try {
      await runner.init(checkpoints.get(StreamRunner.checkpointKey(c.id, def.name)) as StreamCursor | undefined);
      return runner;
    } catch (err) {
      // A schema the registry refuses is this stream's problem: the others go on (it is tried
      // again at the connection's next run, so it resumes once the subject's rules allow it).
      if (!hasCode(err, ErrorCodes.SCHEMA_REJECTED)) throw err;
      this.#log.error({ err, stream: def.name }, 'schema rejected by the registry; this stream stops');
      return undefined;
    }
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
    let failed = false;
    try {
      const result = await retry(settled, {
        ...PASS_BACKOFF,
        clock,
        signal,
        classify: (err) => passRetryDecision(err, clock.now()),
        onRetry: (err, { delayMs }) => {
          if (!failed) this.#failing++;
          failed = true;
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
      // The other streams kept running meanwhile: running again once no step waits for a retry.
      if (failed && --this.#failing === 0) await this.#d.status?.set('running');
      return result;
    } catch (err) {
      if (failed) this.#failing--;
      if (signal.aborted) return undefined;
      this.#log.error({ err }, 'error that a pass retry cannot fix; the run ends');
      throw err;
    }
  }
}
