import type { Kafka } from 'kafkajs';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config/index.ts';
import { type ConnectionResults, runFleetWorker, type StartConnection, Supervisor } from './fleet/index.ts';
import { type ServiceEndpoints, serveEndpoints } from './http/index.ts';
import {
  createKafka,
  defaultTopicSpecs,
  ensureTopics,
  isKafkaUnavailable,
  type TopicNames,
  topicNames,
} from './kafka/index.ts';
import type { Logger } from './log.ts';
import { CheckpointIndex, kafkaCheckpointRead } from './producer/index.ts';
import { showProgressBlock, type TerminalBlock } from './progress/index.ts';
import { connectRedis } from './redis/index.ts';
import { retriableDecision, retry } from './retry/index.ts';
import { createConnectionDeps } from './runner/connection-deps.ts';
import { ConnectionWorker, type RunStats } from './runner/connection-worker.ts';
import { noStats } from './runner/stream-runner.ts';
import { superviseConnection } from './runner/supervisor.ts';
import { registryClientOptions, SchemaCatalog } from './schemas/index.ts';
import { ConnectionStatusWriter, readStatus } from './status/index.ts';

export interface ServiceOptions {
  config: Readonly<Config>;
  logger: Logger;
  signal: AbortSignal;
  clock?: Clock;
  /** Stop once every connection has caught up (demo, tests); otherwise run until `signal` aborts. */
  untilCaughtUp?: boolean;
  dispatcher?: Dispatcher;
  /** Where to show the backfill's progress (a terminal); nothing is shown without one. */
  progress?: TerminalBlock;
}

/** What each connection did, by connection id; a connection that failed carries its error. */
export type ServiceResult = ConnectionResults;

/**
 * The service: creates the topics, then runs one supervised ConnectionWorker per connection: the
 * configured connections in this process, or (with `fleet.enabled`) the connections the fleet's
 * consumer group assigns this worker. Transient failures are retried; a connection that needs a
 * person is `failed` and tried again every `failedRetryMinutes` (with untilCaughtUp it ends,
 * carrying its error); the others go on. Returns when `signal` aborts, or (untilCaughtUp) once
 * every connection has caught up or failed.
 */
export async function runService(o: ServiceOptions): Promise<ServiceResult> {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  const kafka = createKafka(config.kafka, logger);
  const topics = topicNames(config.kafka.topicPrefix);
  // A broker that is down at start (a restart, a rolling upgrade) is waited for, not fatal.
  await retry(() => createTopics(kafka, topics, config), {
    ...STARTUP_BACKOFF,
    clock,
    signal: o.signal,
    classify: (err) => (isKafkaUnavailable(err) ? { retry: true } : retriableDecision(err)),
    onRetry: (err, { delayMs }) => logger.warn({ err, waitMs: delayMs }, 'Kafka not reachable at start; retrying'),
  });
  const catalog = new SchemaCatalog(registryClientOptions(config.schemaRegistry));
  const redis = await connectRedis(config.redis, logger, { maxRetriesPerRequest: 5 });
  let endpoints: ServiceEndpoints | undefined;
  const stopProgress = new AbortController();
  let progress: Promise<void> | undefined;
  try {
    endpoints = await serveEndpoints({ config, kafka, redis, clock, logger });
    const { metrics } = endpoints;
    // One for all the connections of this process: starting many reads the topic once, not once each.
    const checkpoints = new CheckpointIndex({
      read: kafkaCheckpointRead(kafka, topics.checkpoints),
      logger,
      onRead: (r) => metrics.checkpointsRead(r),
    });
    if (o.progress) {
      progress = showProgressBlock({
        read: () => readStatus({ config, redis, clock, logger }),
        block: o.progress,
        clock,
        logger,
        signal: AbortSignal.any([o.signal, stopProgress.signal]),
      });
    }
    // One connection, supervised; each run starts from fresh clients (a failed one may have left its
    // producer or token unusable).
    const start: StartConnection = async (connection, signal) => {
      const log = logger.child({ connection: connection.id, instance: connection.instance });
      const common = { config, connection, topics, kafka, redis, clock, logger: log, metrics };
      const status = new ConnectionStatusWriter({ redis, connection: connection.id, clock, logger: log });
      const run = async (runSignal: AbortSignal): Promise<RunStats> => {
        const deps = createConnectionDeps({ ...common, dispatcher: o.dispatcher });
        try {
          return await new ConnectionWorker({ ...common, ...deps, catalog, status, checkpoints }).run({
            signal: runSignal,
            untilCaughtUp: o.untilCaughtUp,
          });
        } finally {
          await deps.client.close();
        }
      };
      const outcome = await superviseConnection({
        run,
        status,
        clock,
        logger: log,
        signal,
        failedRetryMs: config.failedRetryMinutes * 60_000,
        untilCaughtUp: o.untilCaughtUp,
      });
      if (outcome.error) throw outcome.error;
      return outcome.result ?? noStats();
    };
    if (config.fleet.enabled) return await runFleetWorker({ config, kafka, logger, signal: o.signal, start });
    // A single process runs its configured connections through the same supervisor as a fleet worker.
    const supervisor = new Supervisor({ start, signal: o.signal, logger });
    await supervisor.apply(config.connections);
    await supervisor.idle();
    return supervisor.results;
  } finally {
    stopProgress.abort();
    await progress;
    await endpoints?.close();
    redis.disconnect();
  }
}

const STARTUP_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** Creates the service's topics (those that exist are left as they are). */
async function createTopics(kafka: Kafka, topics: TopicNames, config: Readonly<Config>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      defaultTopicSpecs(topics, {
        partitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
