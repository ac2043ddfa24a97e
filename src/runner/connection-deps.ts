import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import type { TopicNames } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { getDailyUsage, MarketoClient } from '../marketo/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { type Publisher, ThreadedPublisher, TransactionalPublisher } from '../producer/index.ts';
import { Quota } from '../quota/index.ts';

/** What a connection talks to: its Marketo client (behind the instance's shared quota) and its publisher. */
export interface ConnectionDeps {
  client: MarketoClient;
  quota: Quota;
  publisher: Publisher;
}

/** The Kafka transactional id of a connection: one producer per connection fences its zombies. */
export const transactionalIdOf = (connectionId: string) => `marketo-stream-${connectionId}`;

/**
 * Builds a connection's dependencies from the configuration: the quota of its instance (shared in
 * Redis with every process on that instance), a Marketo client that reserves from it, and a
 * transactional publisher (on its own thread when `kafka.publisherThread` is set).
 */
export function createConnectionDeps(o: {
  config: Readonly<Config>;
  connection: Readonly<ConnectionConfig>;
  topics: TopicNames;
  kafka: Kafka;
  redis: Redis;
  clock: Clock;
  /** Already bound to the connection. */
  logger: Logger;
  /** HTTP dispatcher for Marketo calls (tests pass their own). */
  dispatcher?: Dispatcher;
  /** Where the client counts its calls (default: nowhere). */
  metrics?: Metrics;
}): ConnectionDeps {
  const { connection: c, config, clock, logger } = o;
  const quota = new Quota({
    redis: o.redis,
    instance: c.instance,
    dailyBudget: c.dailyQuota - c.quotaReserve,
    ratePer20s: c.ratePer20s,
    maxInFlight: c.maxInFlight,
    timeZone: config.quotaTimeZone,
    recheckMs: config.quotaRecheckMinutes * 60_000,
    resetMarginMs: config.quotaResetMarginSeconds * 1000,
    // The client reserves from this quota, so it is bound once built: a day's count comes from
    // Marketo before its first other call (a new day, or a Redis that lost its data).
    readUsage: (signal) => getDailyUsage(client, signal),
    clock,
    logger,
  });
  const client: MarketoClient = new MarketoClient({
    baseUrl: c.baseUrl,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    dispatcher: o.dispatcher,
    quota,
    timeoutMs: c.requestTimeoutMs,
    clock,
    logger,
    metrics: o.metrics,
    instance: c.instance,
  });
  const publisher = {
    transactionalId: transactionalIdOf(c.id),
    checkpointTopic: o.topics.checkpoints,
    logger,
  };
  return {
    client,
    quota,
    publisher: config.kafka.publisherThread
      ? new ThreadedPublisher({ ...publisher, kafka: config.kafka })
      : new TransactionalPublisher({ ...publisher, kafka: o.kafka }),
  };
}
