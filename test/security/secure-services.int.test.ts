import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { type Config, parseConfig } from '../../src/config/index.ts';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createKafka, topicNames } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/log.ts';
import { connectRedis } from '../../src/redis/index.ts';
import { registryClientOptions, SchemaCatalog } from '../../src/schemas/index.ts';
import { runService } from '../../src/service.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { duplicatesOf, testLogger, unique } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';
import {
  independentSecureKafka,
  readCommitted,
  type SecureMechanism,
  saslUser,
  secureConfig,
  secureEndpoints,
  secureSettings,
} from '../support/secure.ts';

const s = secureEndpoints();
const startSimulator = useSimulator();
const MECHANISMS: SecureMechanism[] = ['plain', 'scram-sha-512'];
// The broker offers SCRAM-SHA-256 too (same user): connections and wrong passwords are checked for it as well.
const ALL_MECHANISMS: SecureMechanism[] = [...MECHANISMS, 'scram-sha-256'];

/** The validated settings of the secured services, as the service would load them. */
function settingsFor(mechanism: SecureMechanism, change: { kafkaPassword?: string } = {}): Readonly<Config> {
  const input = secureSettings(s, mechanism);
  if (change.kafkaPassword) input.kafka.sasl = { ...input.kafka.sasl!, password: change.kafkaPassword };
  return parseConfig({
    ...input,
    connections: [
      {
        id: 'c',
        instance: 'i',
        baseUrl: 'http://127.0.0.1:1',
        clientId: 'c',
        clientSecret: 's',
        startDate: '2026-01-01T00:00:00Z',
      },
    ],
  });
}

/** Rejection of `promise`, which must be a MarketoStreamError. */
async function rejection(promise: Promise<unknown>): Promise<MarketoStreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MarketoStreamError);
  return err as MarketoStreamError;
}

const createdTopics: { kafka: Kafka; topics: string[] }[] = [];
afterAll(async () => {
  for (const { kafka, topics } of createdTopics) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
  }
});

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
  } finally {
    await admin.disconnect();
  }
  createdTopics.push({ kafka, topics: [topic] });
}

describe('Kafka over SASL_SSL with a self-signed CA', () => {
  it.each(ALL_MECHANISMS)(
    '%s: transactions commit and abort as a read_committed consumer sees them',
    async (mechanism) => {
      const kafka = createKafka(settingsFor(mechanism).kafka);
      const topic = unique(`sec-tx-${mechanism}`);
      await createTopic(kafka, topic);
      const producer = kafka.producer({ transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const committed = await producer.transaction();
        await committed.send({
          topic,
          messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
        });
        await committed.commit();
        const aborted = await producer.transaction();
        await aborted.send({ topic, messages: [{ key: 'gone', value: 'never seen' }] });
        await aborted.abort();
      } finally {
        await producer.disconnect();
      }
      const seen = await readCommitted(independentSecureKafka(s, mechanism), topic);
      expect(seen.map((r) => r.key).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    },
  );

  it.each(ALL_MECHANISMS)(
    '%s: a wrong password fails fast with an error naming the user and the setting, not the secret',
    async (mechanism) => {
      const wrong = `wrong-${unique('pw')}`;
      const kafka = createKafka(settingsFor(mechanism, { kafkaPassword: wrong }).kafka);
      const started = Date.now();
      const err = await rejection(kafka.admin().connect());
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(err.code).toBe(ErrorCodes.CREDENTIALS_REJECTED);
      expect(err.retriable).toBe(false);
      expect(err.message).toContain(`Kafka SASL authentication failed for user "${saslUser(s, mechanism).username}"`);
      expect(err.message).toContain('kafka.sasl.password / KAFKA_SASL_PASSWORD');
      expect(err.message).not.toContain(wrong);
      expect(err.message).not.toContain(saslUser(s, mechanism).password);
    },
  );

  it('makes ILLEGAL_SASL_STATE (threshold above the broker session) a retriable error naming the setting', async () => {
    // kafkajs then re-authenticates on every request and the broker answers ILLEGAL_SASL_STATE.
    // Nothing can work so; what matters is that it is a retried error, never an uncaught one
    // (vitest fails the run on an uncaught exception or unhandled rejection).
    const config = settingsFor('plain');
    const kafka = createKafka(
      { ...config.kafka, sasl: { ...config.kafka.sasl!, reauthenticationThresholdMs: s.reauthMs + 5_000 } },
      undefined,
      { retry: { retries: 2, initialRetryTime: 100 } },
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const producer = kafka.producer({ transactionalId: unique('illegal'), idempotent: true, maxInFlightRequests: 1 });
      const err = await rejection(producer.connect());
      expect(err.code).toBe(ErrorCodes.NETWORK);
      expect(err.retriable).toBe(true);
      expect(err.message).toContain('ILLEGAL_SASL_STATE');
      expect(err.message).toContain('kafka.sasl.reauthenticationThresholdMs / KAFKA_SASL_REAUTH_THRESHOLD_MS');
      await producer.disconnect();
    }
  });

  it('keeps producing and consuming across re-authentication (connections.max.reauth.ms)', {
    timeout: 180_000,
  }, async () => {
    const settings = settingsFor('scram-sha-512').kafka;
    // The broker's session must outlast our threshold, or kafkajs re-authenticates on every request.
    expect(settings.sasl!.reauthenticationThresholdMs).toBeLessThan(s.reauthMs);
    const lines: { at: number; msg: string }[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          lines.push({ at: Date.now(), msg: String(JSON.parse(line).msg) });
        }
        done();
      },
    });
    const kafka = createKafka(settings, createLogger({ level: 'debug', destination }));
    const topic = unique('sec-reauth');
    await createTopic(kafka, topic);
    const consumed = new Set<string>();
    const consumer = kafka.consumer({ groupId: unique('reauth'), readUncommitted: false, maxWaitTimeInMs: 200 });
    const producer = kafka.producer({ transactionalId: unique('reauth'), idempotent: true, maxInFlightRequests: 1 });
    const started = Date.now();
    await Promise.all([consumer.connect(), producer.connect()]);
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void consumed.add(String(message.value)) });
      const runFor = s.reauthMs + 10_000;
      let sent = 0;
      while (Date.now() - started < runFor) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ key: String(sent % 7), value: String(sent) }] });
        await tx.commit();
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await vi.waitFor(() => expect(consumed.size).toBe(sent), { timeout: 30_000, interval: 200 });
      expect(Date.now() - started).toBeGreaterThan(s.reauthMs);
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
    }
    const successes = lines.filter((l) => /authentication successful|SCRAM.* successful/i.test(l.msg));
    const connects = lines.filter((l) => l.msg === 'Connecting');
    // More authentications than connections: the connections re-authenticated in place…
    expect(successes.length).toBeGreaterThan(connects.length);
    // …after the broker's session had run most of its course, and nothing failed.
    expect(successes.some((l) => l.at - started >= s.reauthMs - settings.sasl!.reauthenticationThresholdMs)).toBe(true);
    expect(lines.filter((l) => /ILLEGAL_SASL_STATE|SASL state/i.test(l.msg))).toEqual([]);
  });
});

describe('schema registry behind TLS with basic auth', () => {
  const schema = (name: string) => ({
    type: 'record',
    name,
    namespace: 'test.secure',
    fields: [{ name: 'id', type: 'string' }],
  });

  it('registers, encodes and decodes through the front; the wrong or no password is a clear error', async () => {
    const settings = settingsFor('plain').schemaRegistry;
    const options = registryClientOptions(settings);
    const catalog = new SchemaCatalog(options);
    const topic = unique('sec-registry');
    const id = await catalog.register(topic, schema('Secured'));
    expect(await catalog.latest(topic)).toMatchObject({ name: 'Secured' });
    const wire = Buffer.alloc(64);
    const end = catalog.encodeInto(id, { id: 'x1' }, wire, 0);
    expect(end).toBeGreaterThan(0);
    expect(await options.registry.decode(wire.subarray(0, end))).toEqual({ id: 'x1' });

    const wrong = `wrong-${unique('pw')}`;
    const refused = new SchemaCatalog(registryClientOptions({ ...settings, password: wrong }));
    const err = await rejection(refused.register(unique('sec-registry'), schema('Refused')));
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REJECTED);
    expect(err.message).toContain(`HTTP 401; user "${settings.username}"`);
    expect(err.message).toContain('schemaRegistry.password / SCHEMA_REGISTRY_PASSWORD');
    expect(err.message).not.toContain(wrong);

    const anonymous = new SchemaCatalog(
      registryClientOptions({ ...settings, username: undefined, password: undefined }),
    );
    const noAuth = await rejection(anonymous.latest(topic));
    expect(noAuth.code).toBe(ErrorCodes.CREDENTIALS_REJECTED);
    expect(noAuth.message).toContain('no credentials were configured');
  });
});

describe('Redis over TLS with an ACL user', () => {
  it('works with the user in the settings or in the URL; a wrong password or no user is a clear error', async () => {
    const settings = settingsFor('plain').redis;
    const key = unique('sec-redis');
    const redis = await connectRedis(settings);
    try {
      await redis.set(key, 'v', 'EX', 60);
      expect(await redis.get(key)).toBe('v');
    } finally {
      redis.disconnect();
    }
    const url = new URL(settings.url);
    url.username = s.redis.username;
    url.password = s.redis.password;
    const viaUrl = await connectRedis({ ...settings, url: url.toString(), username: undefined, password: undefined });
    try {
      expect(await viaUrl.get(key)).toBe('v');
      await viaUrl.del(key);
    } finally {
      viaUrl.disconnect();
    }

    const wrong = `wrong-${unique('pw')}`;
    const err = await rejection(connectRedis({ ...settings, password: wrong }));
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REJECTED);
    expect(err.message).toContain(`refused user "${settings.username}" (WRONGPASS)`);
    expect(err.message).toContain('redis.password / REDIS_PASSWORD');
    expect(err.message).not.toContain(wrong);

    const anonymous = await rejection(connectRedis({ ...settings, username: undefined, password: undefined }));
    expect(anonymous.message).toContain('refused user "default" (NOAUTH)');
  });
});

describe('an untrusted server certificate (the self-signed CA not configured)', () => {
  it('is a retriable error naming the TLS settings, for Kafka, the registry and Redis', async () => {
    const config = settingsFor('plain');
    const kafka = createKafka({ ...config.kafka, ssl: { enabled: true, rejectUnauthorized: true } }, undefined, {
      retry: { retries: 0 },
    });
    const kafkaErr = await rejection(kafka.admin().connect());
    expect(kafkaErr.code).toBe(ErrorCodes.NETWORK);
    expect(kafkaErr.retriable).toBe(true);
    expect(kafkaErr.message).toContain('kafka.ssl.ca / KAFKA_SSL_CA_FILE');

    const catalog = new SchemaCatalog(registryClientOptions({ ...config.schemaRegistry, tls: undefined }));
    const registryErr = await rejection(catalog.latest(unique('sec-untrusted')));
    expect(registryErr.code).toBe(ErrorCodes.NETWORK);
    expect(registryErr.message).toContain('schemaRegistry.tls.ca / SCHEMA_REGISTRY_TLS_CA_FILE');

    const redisErr = await rejection(connectRedis({ ...config.redis, tls: undefined }, undefined, {}, 2_000));
    expect(redisErr.code).toBe(ErrorCodes.NETWORK);
    expect(redisErr.message).toContain('redis.tls.ca / REDIS_TLS_CA_FILE');
  });
});

describe('a backfill through the secured services', () => {
  it.each(MECHANISMS)(
    '%s: every tracked activity lands exactly once, cursors mirrored in the TLS Redis',
    async (mechanism) => {
      const clock = new FakeClock('2026-03-01T00:00:00Z');
      const sim = await startSimulator({
        seed: 13,
        leads: 100,
        activities: 3_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-02-28T00:00:00Z',
        now: '2026-03-01T00:00:00Z',
        clock,
      });
      // The plain mechanism publishes from the main thread, SCRAM from the publisher thread: both paths.
      const config = secureConfig(sim, s, mechanism, { streams: ['activities'] }, {});
      const run =
        mechanism === 'plain' ? parseConfig({ ...config, kafka: { ...config.kafka, publisherThread: false } }) : config;
      const result = await runService({
        config: run,
        logger: testLogger(),
        signal: new AbortController().signal,
        clock,
        untilCaughtUp: true,
      });
      for (const r of Object.values(result)) expect(r.error).toBeUndefined();
      const kafka = independentSecureKafka(s, mechanism);
      const topics = topicNames(config.kafka.topicPrefix);
      createdTopics.push({ kafka, topics: Object.values(topics) });

      const got = await readCommitted(kafka, topics.activities);
      const truth = [
        ...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: config.connections[0]!.startDate }),
      ];
      expect(truth.length).toBeGreaterThan(500);
      expect(duplicatesOf(got.map((r) => r.id))).toEqual([]);
      expect(new Set(got.map((r) => r.id))).toEqual(new Set(truth.map((a) => a.marketoGUID)));

      const redis = await connectRedis(config.redis);
      try {
        const connection = config.connections[0]!;
        const cursors = await redis.keys(`mkto:{${connection.id}}:*`);
        expect(cursors.length).toBeGreaterThan(0);
        await redis.del(...cursors, ...(await redis.keys(`mkto:{${connection.instance}}:*`)));
      } finally {
        redis.disconnect();
      }
    },
  );
});
