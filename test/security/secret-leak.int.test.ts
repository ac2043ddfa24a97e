import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/index.ts';
import { type Config, parseConfig } from '../../src/config/index.ts';
import { ErrorCodes } from '../../src/errors.ts';
import { topicNames } from '../../src/kafka/index.ts';
import { connectRedis } from '../../src/redis/index.ts';
import { runService } from '../../src/service.ts';
import { testLogger } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';
import { independentSecureKafka, secureConfig, secureEndpoints, secureWorkerEnv } from '../support/secure.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const s = secureEndpoints();
const startSimulator = useSimulator();
const distinct = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;

/** Runs `node src/main.ts --until-caught-up` with `env`; resolves with its exit code and everything it printed. */
function runMain(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--until-caught-up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main did not exit within 120 s:\n${Buffer.concat(chunks).toString().slice(-3000)}`));
    }, 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString() });
    });
  });
}

/** `env` with `name` given as a file (`<name>_FILE`), the Docker/Kubernetes secrets way. */
function asFile(env: NodeJS.ProcessEnv, name: string, dir: string): NodeJS.ProcessEnv {
  const path = join(dir, name.toLowerCase());
  writeFileSync(path, `${env[name]}\n`, { mode: 0o600 });
  const { [name]: _value, ...rest } = env;
  return { ...rest, [`${name}_FILE`]: path };
}

/** Every value of the keys matching `pattern` in Redis, as text (SCAN, then read each by its type). */
async function redisDump(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', '500');
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.get(key)) ?? '');
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
      else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
      else out.push(`${key}: unexpected type ${type}`);
    }
  } while (cursor !== '0');
  return out;
}

/** Every record (committed or not: read_uncommitted) of the topics of `config`: keys, values and headers as bytes. */
async function kafkaDump(config: Readonly<Config>): Promise<Buffer[]> {
  const kafka = independentSecureKafka(s, 'scram-sha-512');
  const admin = kafka.admin();
  await admin.connect();
  const out: Buffer[] = [];
  try {
    const existing = new Set(await admin.listTopics());
    const topics = Object.values(topicNames(config.kafka.topicPrefix)).filter((t) => existing.has(t));
    for (const topic of topics) {
      const ends = new Map(
        (await admin.fetchTopicOffsets(topic))
          .map((o) => [o.partition, BigInt(o.high)] as const)
          .filter(([, h]) => h > 0n),
      );
      if (ends.size === 0) continue;
      const consumer = kafka.consumer({ groupId: distinct('leak'), readUncommitted: true, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${topic} not read in 60 s`)), 60_000);
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
              eachMessage: async ({ message }) => {
                out.push(message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0));
                for (const [name, value] of Object.entries(message.headers ?? {})) {
                  out.push(Buffer.from(name), Buffer.from(String(value)));
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    }
    await admin.deleteTopics({ topics }).catch(() => {});
  } finally {
    await admin.disconnect();
  }
  return out;
}

/** The secrets that occur in `texts`, by name (the test expects none). */
function leaks(secrets: Record<string, string>, texts: (string | Buffer)[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    const buffer = typeof text === 'string' ? Buffer.from(text) : text;
    for (const [name, secret] of Object.entries(secrets)) if (buffer.includes(secret)) found.add(name);
  }
  return [...found];
}

async function simulatorWithSecret(clientSecret: string): Promise<Simulator> {
  return startSimulator({
    seed: 21,
    leads: 80,
    activities: 1_500,
    start: '2026-01-01T00:00:00Z',
    end: '2026-02-15T00:00:00Z',
    now: '2026-02-15T00:00:00Z',
    clientSecret,
  });
}

describe('secrets never leak', () => {
  it('appear in no log line, error, Redis key or value, nor Kafka record: start-up, retried faults, wrong passwords', async () => {
    const marketoSecret = distinct('mkto-secret');
    const sim = await simulatorWithSecret(marketoSecret);
    // Retried faults: gateway errors, a Marketo 611, and a revoked token (the client secret is sent again).
    sim.injectFault({ kind: 'http5xx', endpoint: 'activities.json', calls: [2, 3], status: 502 });
    sim.injectFault({ kind: 'error', endpoint: 'activities.json', calls: [5], code: '611' });
    sim.injectFault({ kind: 'revokeToken', endpoint: 'activities.json', calls: [7] });
    const config = secureConfig(sim, s, 'scram-sha-512', { streams: ['activities', 'programs'] });
    const connection = config.connections[0]!;
    const wrong = {
      kafka: distinct('wrong-kafka'),
      registry: distinct('wrong-registry'),
      redis: distinct('wrong-redis'),
      marketo: distinct('wrong-marketo'),
    };
    const secrets = {
      marketoClientSecret: marketoSecret,
      kafkaSaslPassword: s.scram.password,
      kafkaPlainPassword: s.plain.password,
      registryPassword: s.registry.password,
      redisPassword: s.redis.password,
      ...Object.fromEntries(Object.entries(wrong).map(([k, v]) => [`wrong ${k} password`, v])),
    };
    const dir = mkdtempSync(join(tmpdir(), 'mkto-leak-'));
    let env: NodeJS.ProcessEnv = { ...secureWorkerEnv(config, s), LOG_LEVEL: 'debug' };
    for (const name of ['KAFKA_SASL_PASSWORD', 'REDIS_PASSWORD', 'MARKETO_CLIENT_SECRET']) env = asFile(env, name, dir);

    // Start-up and a backfill through retried faults, debug logging on.
    const good = await runMain(env);
    expect(good.code, good.output.slice(-2000)).toBe(0);
    expect(good.output).toMatch(/"level":40[^\n]*(retry|retrying)/i);
    // Failed connections: each secret wrong in turn.
    const failures = {
      kafka: await runMain({ ...env, KAFKA_SASL_PASSWORD_FILE: undefined, KAFKA_SASL_PASSWORD: wrong.kafka }),
      redis: await runMain({ ...env, REDIS_PASSWORD_FILE: undefined, REDIS_PASSWORD: wrong.redis }),
      registry: await runMain({ ...env, SCHEMA_REGISTRY_PASSWORD: wrong.registry }),
      marketo: await runMain({ ...env, MARKETO_CLIENT_SECRET_FILE: undefined, MARKETO_CLIENT_SECRET: wrong.marketo }),
    };
    for (const [service, run] of Object.entries(failures)) {
      expect(run.code, `${service}: ${run.output.slice(-1500)}`).toBe(1);
    }
    expect(failures.kafka.output).toContain('KAFKA_SASL_PASSWORD');
    expect(failures.redis.output).toContain('REDIS_PASSWORD');
    expect(failures.registry.output).toContain('SCHEMA_REGISTRY_PASSWORD');
    expect(failures.registry.output).toContain(ErrorCodes.CREDENTIALS_REJECTED);

    // The same failures in-process: the errors themselves (message, cause chain, properties).
    const errors: unknown[] = [];
    const withChange = (change: (c: Config) => void): Readonly<Config> => {
      const copy = structuredClone(config) as Config;
      change(copy);
      return parseConfig(copy);
    };
    const inProcess = async (c: Readonly<Config>) => {
      try {
        const result = await runService({
          config: c,
          logger: testLogger(),
          signal: new AbortController().signal,
          untilCaughtUp: true,
        });
        for (const r of Object.values(result)) if (r.error) errors.push(r.error);
      } catch (err) {
        errors.push(err);
      }
    };
    await inProcess(
      withChange((c) => {
        c.kafka.sasl!.password = wrong.kafka;
      }),
    );
    await inProcess(
      withChange((c) => {
        c.redis.password = wrong.redis;
      }),
    );
    await inProcess(
      withChange((c) => {
        c.schemaRegistry.password = wrong.registry;
      }),
    );
    expect(errors).toHaveLength(3);
    for (const err of errors) expect((err as { code?: string }).code).toBe(ErrorCodes.CREDENTIALS_REJECTED);

    const redis = await connectRedis(config.redis);
    let stored: string[];
    try {
      stored = [
        ...(await redisDump(redis, `mkto:{${connection.id}}*`)),
        ...(await redisDump(redis, `mkto:{${connection.instance}}*`)),
      ];
      expect(stored.length).toBeGreaterThan(0);
      const keys = stored.filter((t) => t.startsWith('mkto:{'));
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const records = await kafkaDump(config);
    expect(records.length).toBeGreaterThan(100);

    const logs = [good.output, ...Object.values(failures).map((r) => r.output)];
    expect(leaks(secrets, logs)).toEqual([]);
    expect(
      leaks(
        secrets,
        errors.map((e) => inspect(e, { depth: 10 })),
      ),
    ).toEqual([]);
    expect(leaks(secrets, stored)).toEqual([]);
    expect(leaks(secrets, records)).toEqual([]);
  });
});
