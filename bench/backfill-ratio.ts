/**
 * `npm run bench:fleet -- --backfill-ratio --json FILE [--activities N] [--leads N] [--stream-concurrency N]`:
 * one connection's REST backfill (activities of the 20 default types in 2 groups, leads, programs,
 * campaigns) against a simulated instance with realistic per-call latency, by a service process run
 * until caught up, timed against the floor the pacing allows: Marketo calls ÷ calls per second of
 * `ratePer20s`. Also checks the activities exactly once (read_committed) against the simulator's
 * ground truth. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { readWholeTopic } from '../test/support/committed-reader.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';
import { deleteTopicsWithPrefix } from './support.ts';

const { values } = parseArgs({
  options: {
    'backfill-ratio': { type: 'boolean' },
    json: { type: 'string' },
    activities: { type: 'string', default: '1000000' },
    leads: { type: 'string', default: '10000' },
    'stream-concurrency': { type: 'string' },
    'rate-per-20s': { type: 'string', default: '100' },
  },
});
const ACTIVITIES = Number(values.activities);
const LEADS = Number(values.leads);
const RATE_PER_20S = Number(values['rate-per-20s']);
const START = '2025-01-01T00:00:00Z';
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const log = (msg: string) =>
  process.stderr.write(`[bench:backfill-ratio] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

const services = endpointsFromEnv() ?? startLocalStack();
const prefix = `bench-ratio-${Date.now().toString(36)}`;
const connection = `${prefix}-conn`;
const redis = new Redis(services.redisUrl);
const kafka = createKafka({ clientId: 'bench-ratio', brokers: services.kafkaBrokers.split(',') });

log(`world of ~${ACTIVITIES} activities, ${LEADS} leads; median 600 ms per call (p99 3 s)`);
const sim = await startSimulator({
  seed: 77,
  leads: LEADS,
  activities: ACTIVITIES,
  programs: 150,
  campaigns: 150,
  start: '2025-01-01T00:00:00Z',
  end: '2025-12-31T00:00:00Z',
  clock: 'frozen',
  instance: `${prefix}-inst`,
  latency: { medianMs: 600, p99Ms: 3_000 },
  // The simulator's 20 s window follows its frozen clock, so it cannot judge pacing here (the
  // pacing test does); Marketo's 10 in flight it still enforces.
  limits: { ratePer20s: false, dailyQuota: false, maxInFlight: 10 },
});

/** Each stream's first and last commit as the service's Redis cursor mirror shows them (seconds from the start). */
const commits = new Map<string, { first: number; last: number; seq: number }>();
async function sampleCursors(began: number): Promise<void> {
  const keys = await redis.keys(`mkto:{${connection}}:cursor:*`);
  const seqs = await Promise.all(keys.map((k) => redis.hget(k, 'seq')));
  const at = (Date.now() - began) / 1000;
  keys.forEach((k, i) => {
    const stream = k.slice(k.lastIndexOf(':cursor:') + ':cursor:'.length);
    const seq = Number(seqs[i] ?? 0);
    const seen = commits.get(stream);
    if (!seen) commits.set(stream, { first: at, last: at, seq });
    else if (seq > seen.seq) commits.set(stream, { ...seen, last: at, seq });
  });
}

try {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    KAFKA_BROKERS: services.kafkaBrokers,
    SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
    REDIS_URL: services.redisUrl,
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: '3',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    BACKFILL_METHOD: 'rest',
    MARKETO_CONNECTION_ID: connection,
    MARKETO_INSTANCE: sim.instance,
    MARKETO_BASE_URL: sim.url,
    MARKETO_CLIENT_ID: sim.clientId,
    MARKETO_CLIENT_SECRET: sim.clientSecret,
    MARKETO_START_DATE: START,
    MARKETO_RATE_PER_20S: String(RATE_PER_20S),
    ...(values['stream-concurrency'] ? { MARKETO_STREAM_CONCURRENCY: values['stream-concurrency'] } : {}),
  };
  const began = Date.now();
  const child = spawn(process.execPath, [MAIN, '--until-caught-up'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let publishQueue: unknown;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    let entry: { level?: number; msg?: string; publishQueue?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      process.stderr.write(`${line}\n`);
      return;
    }
    if (entry.msg === 'connection worker stopped') publishQueue = entry.publishQueue;
    if ((entry.level ?? 0) >= 40) process.stderr.write(`${line}\n`);
  });
  const exited = once(child, 'exit');
  const sampler = setInterval(() => void sampleCursors(began).catch(() => undefined), 2_000);
  const progress = setInterval(() => log(`${sim.counts().total.counted} calls so far`), 60_000);
  const [code] = (await exited) as [number | null];
  clearInterval(sampler);
  clearInterval(progress);
  const wallSeconds = (Date.now() - began) / 1000;
  await sampleCursors(began);
  if (code !== 0) throw new Error(`the service exited with ${code}`);

  const counts = sim.counts();
  const calls = counts.total.counted;
  const floorSeconds = calls / (RATE_PER_20S / 20);
  const records = await readWholeTopic(`${prefix}.activities`, { timeoutMs: 600_000 });
  const truth = new Set(
    [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: START })].map((a) => a.marketoGUID),
  );
  const got = new Set(records.map((r) => r.id));
  const byEndpoint = Object.fromEntries(
    Object.entries(counts.byEndpoint)
      .filter(([, c]) => c.counted > 0)
      .map(([e, c]) => [e, c.counted]),
  );
  const activitiesDone = Math.max(...[...commits].filter(([s]) => s.startsWith('activities.')).map(([, c]) => c.last));
  const figures = {
    activities: records.length,
    activityGroups: [...commits.keys()].filter((s) => s.startsWith('activities.')).length,
    leads: LEADS,
    ratePer20s: RATE_PER_20S,
    streamConcurrency: values['stream-concurrency'] ? Number(values['stream-concurrency']) : 'default',
    latency: { medianMs: 600, p99Ms: 3_000 },
    calls,
    callsByEndpoint: byEndpoint,
    floorSeconds: Math.round(floorSeconds),
    wallSeconds: Math.round(wallSeconds),
    backfillRatioToFloor: Math.round((wallSeconds / floorSeconds) * 100) / 100,
    // When each stream committed its first and last page, in seconds from the service's start.
    commitsByStream: Object.fromEntries(
      [...commits].map(([s, c]) => [s, { firstSeconds: Math.round(c.first), lastSeconds: Math.round(c.last) }]),
    ),
    activitiesBackfillSeconds: Math.round(activitiesDone),
    publishQueue,
    rateLimited606: counts.total.rateLimited606,
    concurrency615: counts.total.concurrency615,
    duplicates: records.length - got.size,
    missing: [...truth].filter((id) => !got.has(id)).length,
  };
  console.log(JSON.stringify(figures, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await sim.close();
  await deleteTopicsWithPrefix(kafka, prefix);
  const keys = await redis.keys(`mkto:{${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
process.exit(0);
