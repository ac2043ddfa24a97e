import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config/index.ts';
import { type ConnectionResults, runFleetWorker, type StartConnection, Supervisor } from './fleet/index.ts';
import { type ServiceEndpoints, serveEndpoints } from './http/index.ts';
import { createKafka, defaultTopicSpecs, ensureTopics, topicNames } from './kafka/index.ts';
import type { Logger } from './log.ts';
import { connectRedis } from './redis/index.ts';
import { createConnectionDeps } from './runner/connection-deps.ts';
import { ConnectionWorker } from './runner/connection-worker.ts';
import { registryClientOptions, SchemaCatalog } from './schemas/index.ts';

export interface ServiceOptions {
  config: Readonly<Config>;
  logger: Logger;
  signal: AbortSignal;
  clock?: Clock;
  /** Stop once every connection has caught up (demo, tests); otherwise run until `signal` aborts. */
  untilCaughtUp?: boolean;
  dispatcher?: Dispatcher;
}

/** What each connection did, by connection id; a connection that failed carries its error. */
export type ServiceResult = ConnectionResults;

/**
 * The service: creates the topics, then runs one ConnectionWorker per connection: the configured
 * connections in this process, or (with `fleet.enabled`) the connections the fleet's consumer
 * group assigns this worker. A connection that fails fatally stops alone; the others go on.
 */
export async function runService(o: ServiceOptions): Promise<ServiceResult> {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  const kafka = createKafka(config.kafka, logger);
  const topics = topicNames(config.kafka.topicPrefix);
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
  const catalog = new SchemaCatalog(registryClientOptions(config.schemaRegistry));
  const redis = await connectRedis(config.redis, logger, { maxRetriesPerRequest: 5 });
  let endpoints: ServiceEndpoints | undefined;
  try {
    endpoints = await serveEndpoints({ config, kafka, redis, clock, logger });
    const start: StartConnection = (connection, signal) => {
      const log = logger.child({ connection: connection.id, instance: connection.instance });
      const common = { config, connection, topics, kafka, redis, clock, logger: log };
      const deps = createConnectionDeps({ ...common, dispatcher: o.dispatcher });
      return new ConnectionWorker({ ...common, ...deps, catalog }).run({ signal, untilCaughtUp: o.untilCaughtUp });
    };
    if (config.fleet.enabled) return await runFleetWorker({ config, kafka, logger, signal: o.signal, start });
    // A single process runs its configured connections through the same supervisor as a fleet worker.
    const supervisor = new Supervisor({ start, signal: o.signal, logger });
    await supervisor.apply(config.connections);
    await supervisor.idle();
    return supervisor.results;
  } finally {
    await endpoints?.close();
    redis.disconnect();
  }
}
