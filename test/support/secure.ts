import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import type { Simulator } from '../../simulator/index.ts';
import { type Config, parseConfig } from '../../src/config/index.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { unique, workerEnv } from './pipeline.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The secured services of `scripts/stack.sh up --secure` (see scripts/stack/secure.sh). */
export interface SecureEndpoints {
  caFile: string;
  servername: string;
  kafkaBrokers: string[];
  reauthMs: number;
  plain: { username: string; password: string };
  scram: { username: string; password: string };
  registry: { url: string; username: string; password: string };
  redis: { url: string; username: string; password: string };
}

/** Where `up --secure` writes the endpoints: $STACK_DIR/secure-endpoints.env (STACK_DIR defaults to .stack). */
export const secureEndpointsFile = (env: NodeJS.ProcessEnv = process.env) =>
  `${env.STACK_DIR ?? `${ROOT}.stack`}/secure-endpoints.env`;

function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * The secured endpoints, from SECURE_* environment variables or else the stack's
 * secure-endpoints.env. Throws (the test fails, in CI and locally alike: never a skip) when
 * neither has them, saying how to start them.
 */
export function secureEndpoints(env: NodeJS.ProcessEnv = process.env): SecureEndpoints {
  const file = secureEndpointsFile(env);
  const vars = env.SECURE_KAFKA_BROKERS
    ? env
    : existsSync(file)
      ? { ...parseEnvFile(readFileSync(file, 'utf8')), ...env }
      : undefined;
  const need = (name: string): string => {
    const v = vars?.[name];
    if (!v) {
      throw new Error(
        `secured services not found (${name} is not in the environment nor in ${file}): ` +
          'start them with `npm run stack:up -- --secure` (CI runs it so; these tests never skip)',
      );
    }
    return v;
  };
  return {
    caFile: need('SECURE_CA_FILE'),
    servername: need('SECURE_TLS_SERVERNAME'),
    kafkaBrokers: need('SECURE_KAFKA_BROKERS').split(','),
    reauthMs: Number(need('SECURE_KAFKA_REAUTH_MS')),
    plain: { username: need('SECURE_KAFKA_PLAIN_USER'), password: need('SECURE_KAFKA_PLAIN_PASSWORD') },
    scram: { username: need('SECURE_KAFKA_SCRAM_USER'), password: need('SECURE_KAFKA_SCRAM_PASSWORD') },
    registry: {
      url: need('SECURE_SCHEMA_REGISTRY_URL'),
      username: need('SECURE_SCHEMA_REGISTRY_USER'),
      password: need('SECURE_SCHEMA_REGISTRY_PASSWORD'),
    },
    redis: {
      url: need('SECURE_REDIS_URL'),
      username: need('SECURE_REDIS_USER'),
      password: need('SECURE_REDIS_PASSWORD'),
    },
  };
}

export type SecureMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** The SASL user of `mechanism` on the secured broker. */
export const saslUser = (s: SecureEndpoints, mechanism: SecureMechanism) => (mechanism === 'plain' ? s.plain : s.scram);

/** Secured Kafka, registry and Redis settings as a configuration file would give them. */
export function secureSettings(
  s: SecureEndpoints,
  mechanism: SecureMechanism,
): Pick<ConfigInput, 'kafka' | 'schemaRegistry' | 'redis'> {
  return {
    kafka: {
      brokers: s.kafkaBrokers,
      topicPrefix: unique('sec'),
      partitions: 3,
      ssl: { enabled: true, caFile: s.caFile, servername: s.servername },
      sasl: { mechanism, ...saslUser(s, mechanism) },
    },
    schemaRegistry: { ...s.registry, tls: { caFile: s.caFile } },
    redis: { ...s.redis, tls: { caFile: s.caFile, servername: s.servername } },
  };
}

/** The configuration of one test against `sim`, through the secured services. */
export function secureConfig(
  sim: Simulator,
  s: SecureEndpoints,
  mechanism: SecureMechanism,
  connection: Partial<ConfigInput['connections'][number]> = {},
  overrides: Partial<Omit<ConfigInput, 'connections'>> = {},
): Readonly<Config> {
  return parseConfig({
    ...secureSettings(s, mechanism),
    logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'warn',
    // The REST path, as in testConfig: bulk jobs poll on Marketo's minute scale.
    // Any free port for /metrics, as in testConfig: the default 9464 may be taken on the machine.
    metricsPort: 0,
    backfill: { method: 'rest' },
    ...overrides,
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
}

/** The environment that makes `node src/main.ts` run `config` through the secured services (the documented variables). */
export function secureWorkerEnv(config: Readonly<Config>, s: SecureEndpoints): NodeJS.ProcessEnv {
  const { sasl } = config.kafka;
  return {
    ...workerEnv(config),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: s.caFile,
    KAFKA_SSL_SERVERNAME: s.servername,
    KAFKA_SASL_MECHANISM: sasl?.mechanism,
    KAFKA_SASL_USERNAME: sasl?.username,
    KAFKA_SASL_PASSWORD: sasl?.password,
    SCHEMA_REGISTRY_USERNAME: config.schemaRegistry.username,
    SCHEMA_REGISTRY_PASSWORD: config.schemaRegistry.password,
    SCHEMA_REGISTRY_TLS_CA_FILE: s.caFile,
    REDIS_USERNAME: config.redis.username,
    REDIS_PASSWORD: config.redis.password,
    REDIS_TLS_CA_FILE: s.caFile,
    REDIS_TLS_SERVERNAME: s.servername,
  };
}

/**
 * A plain kafkajs client for the secured broker that shares no code with src/ (so what it counts
 * does not depend on the code under test).
 */
export function independentSecureKafka(s: SecureEndpoints, mechanism: SecureMechanism): Kafka {
  return new Kafka({
    clientId: 'marketo-stream-test-counter',
    brokers: s.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    ssl: { ca: [readFileSync(s.caFile, 'utf8')], servername: s.servername },
    sasl: { mechanism, ...saslUser(s, mechanism) } as never,
    reauthenticationThreshold: 2_000,
  });
}

/** A record as a read_committed consumer saw it: key, ce_id header, raw value. */
export interface CommittedRecord {
  key: string;
  id: string;
  value: Buffer | null;
}

/**
 * Every committed record of `topic` now, read with an explicit read_committed consumer from the
 * earliest offset up to each partition's last stable offset at the call.
 */
export async function readCommitted(kafka: Kafka, topic: string): Promise<CommittedRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    // Listed as read_committed: `offset` is the last stable offset.
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => BigInt(o.offset) > 0n).map((o) => [o.partition, BigInt(o.offset)]));
  } finally {
    await admin.disconnect();
  }
  const out: CommittedRecord[] = [];
  if (ends.size === 0) return out;
  const consumer = kafka.consumer({ groupId: unique('count'), readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readCommitted(${topic}): not read to its end in 60 s`)), 60_000);
      // Batch events fire for marker-only batches too, which eachMessage never sees: they tell the end.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = ends.get(payload.partition);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) ends.delete(payload.partition);
        if (ends.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (!ends.has(partition)) return;
            out.push({
              key: message.key?.toString() ?? '',
              id: message.headers?.ce_id?.toString() ?? '',
              value: message.value,
            });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
