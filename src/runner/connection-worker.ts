import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import { CursorStore } from '../cursor/index.ts';
import { ErrorCodes, hasCode } from '../errors.ts';
import type { TopicNames } from '../kafka/index.ts';
import { ConnectionLease } from '../lease/index.ts';
import type { Logger } from '../log.ts';
import { describeLeads2, getActivityTypes, MarketoClient, type MarketoLeadField } from '../marketo/index.ts';
import { type Publisher, readCheckpoints, ThreadedPublisher, TransactionalPublisher } from '../producer/index.ts';
import { Quota } from '../quota/index.ts';
import { leadSchema, type SchemaCatalog } from '../schemas/index.ts';
import { activitiesStream } from '../streams/activities.ts';
import { parseActivityGroupName, planActivityGroups, resolveActivityTypes } from '../streams/activity-groups.ts';
import { campaignsStream } from '../streams/campaigns.ts';
import { LeadFetchLog, type LeadStreamOptions } from '../streams/leads.ts';
import { leadsByActivityStream } from '../streams/leads-by-activity.ts';
import { leadChangesStream } from '../streams/leads-changes.ts';
import { deletedLeadsStream } from '../streams/leads-deleted.ts';
import { checkLeadFields } from '../streams/leads-fields.ts';
import { mergedLeadsStream } from '../streams/leads-merged.ts';
import { programsStream } from '../streams/programs.ts';
import type { StreamCursor, StreamDefinition } from '../streams/stream.ts';
import { type PassStats, StreamRunner } from './stream-runner.ts';

export interface ConnectionWorkerDeps {
  config: Readonly<Config>;
  connection: Readonly<ConnectionConfig>;
  topics: TopicNames;
  kafka: Kafka;
  redis: Redis;
  catalog: SchemaCatalog;
  clock: Clock;
  logger: Logger;
  /** HTTP dispatcher for Marketo calls (tests pass their own). */
  dispatcher?: Dispatcher;
}

export interface RunOptions {
  signal: AbortSignal;
  /** Return once every stream has caught up with the present (the demo and tests use this). */
  untilCaughtUp?: boolean;
}

/** Totals of a run, summed over streams and passes. */
export type RunStats = PassStats;

// biome-ignore lint/suspicious/noExplicitAny: streams differ in record and cursor types; the runner treats them alike.
type AnyStreamDefinition = StreamDefinition<any, any>;

/** The Kafka transactional id of a connection: one producer per connection fences its zombies. */
export const transactionalIdOf = (connectionId: string) => `marketo-stream-${connectionId}`;

/**
 * Pulls one Marketo connection: backfill, then increments on an interval, every stream through
 * one StreamRunner. Pauses when the daily budget is spent and resumes by itself after the reset;
 * retries transient failures; stops on a fatal error (naming it) or when fenced by another worker.
 */
export class ConnectionWorker {
  #d: ConnectionWorkerDeps;
  #log: Logger;
  #client: MarketoClient;
  #publisher: Publisher;
  #runners: StreamRunner<unknown, StreamCursor>[] = [];
  /** The runners must be (re)built from the committed checkpoints before the next pass. */
  #stale = true;
  /** leads/describe2.json fields, asked once per run (a rebuild after a failure reuses them). */
  #leadFields: MarketoLeadField[] | undefined;
  /** Which lead was fetched when, shared by the lead streams; outlives rebuilds. */
  #fetchLog: LeadFetchLog;

  constructor(deps: ConnectionWorkerDeps) {
    this.#d = deps;
    const { connection: c, config, redis, clock, logger } = deps;
    this.#log = logger.child({ connection: c.id, instance: c.instance });
    const quota = new Quota({
      redis,
      instance: c.instance,
      dailyBudget: c.dailyQuota - c.quotaReserve,
      ratePer20s: c.ratePer20s,
      maxInFlight: c.maxInFlight,
      timeZone: config.quotaTimeZone,
      clock,
      logger: this.#log,
    });
    this.#client = new MarketoClient({
      baseUrl: c.baseUrl,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      dispatcher: deps.dispatcher,
      quota,
      quotaTimeZone: config.quotaTimeZone,
      timeoutMs: c.requestTimeoutMs,
      clock,
      logger: this.#log,
    });
    this.#fetchLog = new LeadFetchLog(
      Math.max(config.lookbackMinutes * 60_000, 2 * config.incrementIntervalSeconds * 1000),
    );
    const publisher = {
      transactionalId: transactionalIdOf(c.id),
      checkpointTopic: deps.topics.checkpoints,
      logger: this.#log,
    };
    this.#publisher = config.kafka.publisherThread
      ? new ThreadedPublisher({ ...publisher, kafka: config.kafka })
      : new TransactionalPublisher({ ...publisher, kafka: deps.kafka });
  }

  /** Runs until `signal` aborts (or, with untilCaughtUp, until every stream is current). */
  async run(options: RunOptions): Promise<RunStats> {
    const totals: RunStats = { pages: 0, fetched: 0, published: 0, duplicates: 0, deadLettered: 0 };
    this.#leadFields = undefined; // refreshed each run
    const lease = new ConnectionLease({
      redis: this.#d.redis,
      connection: this.#d.connection.id,
      logger: this.#log,
      ttlMs: this.#d.config.leaseTtlSeconds * 1000,
    });
    if (!(await lease.acquire(options.signal))) return totals;
    // Losing the lease stops this worker between pages; Kafka fences it if it is slower than that.
    const signal = AbortSignal.any([options.signal, lease.lost]);
    try {
      await this.#publisher.connect();
      while (!signal.aborted) {
        if (this.#stale) await this.#retrying(signal, () => this.#setUp());
        for (const name of this.#runners.map((r) => r.def.name)) {
          const stats = await this.#retrying(signal, () => this.#runPass(name, signal));
          if (stats) for (const k of Object.keys(totals) as (keyof RunStats)[]) totals[k] += stats[k];
        }
        if (options.untilCaughtUp && this.#caughtUp()) break;
        await this.#d.clock.sleep(this.#d.config.incrementIntervalSeconds * 1000, signal);
      }
      this.#log.info(totals, 'connection worker stopped');
      return totals;
    } finally {
      await this.#publisher.disconnect();
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
  async #runPass(name: string, signal: AbortSignal): Promise<PassStats | undefined> {
    if (this.#stale) await this.#setUp();
    const runner = this.#runners.find((r) => r.def.name === name);
    if (!runner) return undefined;
    try {
      return await runner.runPass(signal);
    } catch (err) {
      this.#stale = true;
      throw err;
    }
  }

  async #setUp(): Promise<void> {
    const { connection: c, topics, kafka } = this.#d;
    const checkpoints = await readCheckpoints(kafka, topics.checkpoints, `${c.id}:`);
    const definitions = [
      ...(c.streams.includes('activities') ? await this.#activityStreams(checkpoints) : []),
      ...(await this.#leadAndAssetStreams()),
    ];
    this.#runners = definitions.map(
      (def) =>
        new StreamRunner(def, {
          kafka,
          publisher: this.#publisher,
          catalog: this.#d.catalog,
          cursors: new CursorStore({ redis: this.#d.redis, logger: this.#log }),
          dlqTopic: topics.dlq,
          connection: c.id,
          instance: c.instance,
          clock: this.#d.clock,
          logger: this.#log,
        }),
    );
    for (const runner of this.#runners) {
      await runner.init(checkpoints.get(StreamRunner.checkpointKey(c.id, runner.def.name)) as StreamCursor | undefined);
    }
    this.#stale = false;
  }

  /** One stream per group of ≤ 10 tracked activity types, keeping the groups that have cursors. */
  async #activityStreams(checkpoints: Map<string, object>): Promise<AnyStreamDefinition[]> {
    const { connection: c, config, topics } = this.#d;
    const types = await getActivityTypes(this.#client);
    const tracked = resolveActivityTypes(c.activityTypes, types);
    const existing = [...checkpoints.keys()]
      .map((k) => parseActivityGroupName(k.slice(c.id.length + 1)))
      .filter((g): g is number[] => g !== undefined);
    const typeNames = new Map(types.map((t) => [t.id, t.name]));
    return planActivityGroups(tracked, existing).map((group) =>
      activitiesStream({
        client: this.#client,
        group,
        topic: topics.activities,
        instance: c.instance,
        connection: c.id,
        typeNames,
        startDate: c.startDate,
        lookbackMs: config.lookbackMinutes * 60_000,
        dailySplitThreshold: config.backfill.dailySplitThreshold,
      }),
    );
  }

  /**
   * The streams after the activities: leads (activity-driven, changed, deleted), programs, smart
   * campaigns. The configured lead fields are checked against describe2 (an unknown one stops the
   * connection with a message naming it and the closest names); the lead schema is generated from
   * describe2, keeping the registered type of a field whose Marketo type changed.
   */
  async #leadAndAssetStreams(): Promise<AnyStreamDefinition[]> {
    const { connection: c, config, topics } = this.#d;
    const lookbackMs = config.lookbackMinutes * 60_000;
    const assets = { client: this.#client, instance: c.instance, connection: c.id, overlapMs: lookbackMs };
    return [
      ...(c.streams.includes('leads') ? await this.#leadStreams(lookbackMs) : []),
      ...(c.streams.includes('programs') ? [programsStream({ ...assets, topic: topics.programs })] : []),
      ...(c.streams.includes('campaigns') ? [campaignsStream({ ...assets, topic: topics.campaigns })] : []),
    ];
  }

  async #leadStreams(lookbackMs: number): Promise<AnyStreamDefinition[]> {
    const { connection: c, topics, kafka, clock } = this.#d;
    this.#leadFields ??= (await describeLeads2(this.#client))[0]?.fields ?? [];
    checkLeadFields(c.leadFields, this.#leadFields);
    const previous = await this.#d.catalog.latest(topics.leads);
    const plan = leadSchema(this.#leadFields, c.leadFields, previous);
    for (const conflict of plan.conflicts) {
      this.#log.warn(
        conflict,
        `lead field "${conflict.field}" changed type in Marketo (${conflict.registered} → ${conflict.wanted}): ${conflict.resolution}`,
      );
    }
    const leads: LeadStreamOptions = {
      client: this.#client,
      topic: topics.leads,
      instance: c.instance,
      connection: c.id,
      plan,
      fetchLog: this.#fetchLog,
      startDate: c.startDate,
      lookbackMs,
      clock,
    };
    // Deleted and merged-away leads both become tombstones on the leads topic.
    const gone = {
      client: this.#client,
      topic: topics.leads,
      instance: c.instance,
      schema: plan.schema,
      startDate: c.startDate,
      lookbackMs,
    };
    return [
      leadsByActivityStream({ ...leads, kafka, activitiesTopic: topics.activities }),
      leadChangesStream(leads),
      deletedLeadsStream(gone),
      mergedLeadsStream(gone),
    ];
  }

  /**
   * Runs `step` until it succeeds: waits out a spent budget until the reset, backs off on transient
   * failures, rethrows fatal ones. Returns undefined when `signal` aborted first.
   */
  async #retrying<T>(signal: AbortSignal, step: () => Promise<T>): Promise<T | undefined> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        return await step();
      } catch (err) {
        // Stopping (a signal, or the lease lost) ends a step with the abort's reason: not a failure.
        if (signal.aborted) break;
        if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) {
          const waitMs = Math.max(err.retryAfterMs ?? 60_000, 1_000);
          this.#log.warn(
            { resumesAt: new Date(this.#d.clock.now() + waitMs).toISOString() },
            'daily API budget spent; pausing until the reset',
          );
          await this.#d.clock.sleep(waitMs, signal);
          continue;
        }
        // Our errors and kafkajs's both carry `retriable`.
        if ((err as { retriable?: unknown } | undefined)?.retriable === true) {
          failures++;
          const waitMs = Math.min(60_000, 1_000 * 2 ** Math.min(failures, 6));
          this.#log.warn({ err, waitMs }, 'transient failure; retrying the pass');
          await this.#d.clock.sleep(waitMs, signal);
          continue;
        }
        this.#log.error({ err }, 'fatal error; the connection stops');
        throw err;
      }
    }
    return undefined;
  }
}
