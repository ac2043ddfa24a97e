import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { type Simulator, TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import type { Clock } from '../../src/clock.ts';
import { type Config, parseConfig } from '../../src/config/index.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createKafka, type TopicNames, topicNames } from '../../src/kafka/index.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { registryClientOptions } from '../../src/schemas/index.ts';
import { runService, type ServiceResult } from '../../src/service.ts';
import { recordRedisId, recordTopicPrefix } from './cleanup.ts';
import { type CheckedRecord, readWholeTopic } from './committed-reader.ts';

/** A name no other test run uses (topics, connections, instances). */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** Overrides of testConfig: top-level fields, and fields of the one connection. */
export type TestConfigOverrides = { connection?: Partial<ConfigInput['connections'][number]> } & Partial<
  Omit<ConfigInput, 'connections'>
>;

/**
 * The service configuration for one test: fresh topic prefix and connection against `sim`. Its
 * topics, subjects and Redis keys are recorded for removal (see cleanup.ts: `cleanUpAfterFile`).
 */
export function testConfig(sim: Simulator, overrides: TestConfigOverrides = {}): Readonly<Config> {
  const { connection, ...rest } = overrides;
  const config = parseConfig({
    kafka: { brokers: process.env.KAFKA_BROKERS!.split(','), topicPrefix: unique('t'), partitions: 3 },
    schemaRegistry: { url: process.env.SCHEMA_REGISTRY_URL! },
    redis: { url: process.env.REDIS_URL! },
    logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'warn',
    // Tests run several services at once: none serves HTTP unless the test asks for a port.
    metricsPort: 0,
    // The REST path unless a test asks for the planner: bulk jobs poll on Marketo's minute scale.
    backfill: { method: 'rest' },
    ...rest,
    connections: [
      {
        id: unique('conn'),
        instance: unique('inst'),
        baseUrl: sim.url,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
        startDate: '2026-01-01T00:00:00Z',
        ...connection,
      },
    ],
  });
  recordTopicPrefix(config.kafka.topicPrefix);
  for (const c of config.connections) {
    recordRedisId(c.id);
    recordRedisId(c.instance);
  }
  return config;
}

export const testLogger = (): Logger => createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });

export function testKafka(): Kafka {
  return createKafka({ clientId: 'marketo-stream-test', brokers: process.env.KAFKA_BROKERS!.split(',') });
}

export const topicsOf = (config: Readonly<Config>): TopicNames => topicNames(config.kafka.topicPrefix);

/** A record as a read_committed consumer sees it. */
export type ConsumedRecord = CheckedRecord;

/**
 * Every committed record of `topic`, as a read_committed consumer sees it now, read by the tests'
 * own checker (committed-reader.ts), which shares no code with `src/`.
 */
export const consumeAll = (topic: string): Promise<ConsumedRecord[]> => readWholeTopic(topic);

/** The registry client tests decode with (Confluent wire format). */
export const testRegistry = () => registryClientOptions({ url: process.env.SCHEMA_REGISTRY_URL! }).registry;

/** Ids that occur more than once. */
export function duplicatesOf(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/** Environment that makes `node src/main.ts` run `config`'s first connection (worker processes in tests). */
export function workerEnv(config: Readonly<Config>): NodeJS.ProcessEnv {
  const c = config.connections[0]!;
  return {
    PATH: process.env.PATH,
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    TOPIC_PREFIX: config.kafka.topicPrefix,
    TOPIC_PARTITIONS: String(config.kafka.partitions),
    SCHEMA_REGISTRY_URL: config.schemaRegistry.url,
    REDIS_URL: config.redis.url,
    LOOKBACK_MINUTES: String(config.lookbackMinutes),
    LOOKBACK_EVERY_MINUTES: String(config.lookbackEveryMinutes),
    DEEP_LOOKBACK_HOURS: String(config.deepLookbackHours),
    DEEP_LOOKBACK_EVERY_HOURS: String(config.deepLookbackEveryHours),
    DEEP_LOOKBACK_METHOD: config.deepLookbackMethod,
    LEASE_TTL_SECONDS: String(config.leaseTtlSeconds),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    METRICS_PORT: String(config.metricsPort),
    MARKETO_CONNECTION_ID: c.id,
    MARKETO_INSTANCE: c.instance,
    MARKETO_BASE_URL: c.baseUrl,
    MARKETO_CLIENT_ID: c.clientId,
    MARKETO_CLIENT_SECRET: c.clientSecret,
    MARKETO_START_DATE: c.startDate,
    MARKETO_DAILY_QUOTA: String(c.dailyQuota),
    MARKETO_RATE_PER_20S: String(c.ratePer20s),
    MARKETO_STREAMS: c.streams.join(','),
    BACKFILL_METHOD: config.backfill.method,
    BULK_POLL_MIN_SECONDS: String(config.bulk.pollMinSeconds),
  };
}

/** Runs the service in-process until every stream has caught up, and asserts no connection failed. */
export async function runUntilCaughtUp(config: Readonly<Config>, clock?: Clock): Promise<ServiceResult> {
  const result = await runService({
    config,
    logger: testLogger(),
    signal: new AbortController().signal,
    clock,
    untilCaughtUp: true,
  });
  for (const r of Object.values(result)) expect(r.error).toBeUndefined();
  return result;
}

/** The last record of every key (a compacted topic's view). */
export function latestByKey(records: readonly ConsumedRecord[]): Map<string, ConsumedRecord> {
  const latest = new Map<string, ConsumedRecord>();
  for (const r of records) latest.set(r.key, r);
  return latest;
}

/**
 * Asserts that the activities topic holds each of the simulator's visible activities of the tracked
 * types since the connection's start date exactly once (no gap, no duplicate); returns the records.
 */
export async function expectTrackedActivitiesExactlyOnce(
  sim: Simulator,
  config: Readonly<Config>,
): Promise<ConsumedRecord[]> {
  const got = await consumeAll(topicsOf(config).activities);
  const ids = got.map((r) => r.id);
  expect(duplicatesOf(ids)).toEqual([]);
  const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: config.connections[0]!.startDate })];
  expect(ids.length).toBe(truth.length);
  expect(new Set(ids)).toEqual(new Set(truth.map((a) => a.marketoGUID)));
  return got;
}
