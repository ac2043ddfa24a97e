/**
 * `npm run bench:fleet -- --json FILE [--connections N] [--activities N] [--workers N]`: a fleet of
 * worker processes sharing N simulated Marketo instances (one connection each, realistic per-call
 * latency) through the connections topic and the workers' consumer group. Phases: W workers start
 * and backfill; one more joins; one is killed with SIGKILL. Measures the balance after each
 * change, the take-over time, memory and CPU, and checks every connection's activities exactly
 * once (read_committed) against the simulator's ground truth. See bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type Simulator, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { connectionsTopic, ensureConnectionsTopic, fleetGroupId, writeConnections } from '../src/fleet/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { leaseKey } from '../src/lease/index.ts';
import { createLogger, routeProcessWarnings } from '../src/log.ts';
import { readWholeTopic } from '../test/support/committed-reader.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';
import { cpuMsOf, deleteTopicsWithPrefix, rssMbOf } from './support.ts';

routeProcessWarnings(createLogger({ level: 'warn' }));
// One connection's backfill against the pacing floor (backfillRatioToFloor) is a mode of its own.
if (process.argv.includes('--backfill-ratio')) await import('./backfill-ratio.ts');
const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    connections: { type: 'string', default: '20' },
    activities: { type: 'string', default: '3000' },
    workers: { type: 'string', default: '3' },
  },
});
const N = Number(values.connections);
const ACTIVITIES = Number(values.activities);
const W = Number(values.workers);
const SESSION_TIMEOUT_MS = 10_000;
const LEASE_TTL_SECONDS = 10;
const INCREMENT_INTERVAL_SECONDS = 60;
const START = '2026-01-01T00:00:00Z';
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const log = (msg: string) => process.stderr.write(`[bench:fleet] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

const services = endpointsFromEnv() ?? startLocalStack();
const prefix = `bench-fleet-${Date.now().toString(36)}`;
const config = parseConfig({
  kafka: { brokers: services.kafkaBrokers.split(','), topicPrefix: prefix, partitions: 3 },
  schemaRegistry: { url: services.schemaRegistryUrl },
  redis: { url: services.redisUrl },
  fleet: { enabled: true, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000 },
  connections: [],
});
const kafka = createKafka(config.kafka);
const redis = new Redis(services.redisUrl);

log(`${N} simulated instances, ~${ACTIVITIES} activities each, median 600 ms per call`);
const sims: Simulator[] = [];
for (let i = 0; i < N; i++) {
  sims.push(
    await startSimulator({
      seed: 500 + i,
      leads: 50,
      activities: ACTIVITIES,
      programs: 5,
      campaigns: 5,
      start: START,
      end: '2026-03-01T00:00:00Z',
      clock: 'frozen',
      instance: `${prefix}-inst${i}`,
      latency: { medianMs: 600, p99Ms: 3_000 },
    }),
  );
}
const ids = sims.map((_, i) => `${prefix}-conn${i}`);
const secrets = Object.fromEntries(sims.map((s, i) => [`SIM_SECRET_${i}`, s.clientSecret]));
const env = (topicPrefix: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  KAFKA_BROKERS: services.kafkaBrokers,
  SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
  REDIS_URL: services.redisUrl,
  TOPIC_PREFIX: topicPrefix,
  TOPIC_PARTITIONS: '3',
  FLEET_ENABLED: 'true',
  FLEET_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  FLEET_HEARTBEAT_INTERVAL_MS: '1000',
  LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
  INCREMENT_INTERVAL_SECONDS: String(INCREMENT_INTERVAL_SECONDS),
  KAFKA_PUBLISHER_THREAD: 'false',
  METRICS_PORT: '0',
  LOG_LEVEL: 'error',
  ...secrets,
});
const workers: ChildProcess[] = [];
const lastCpuMs = new Map<number, number>();
const startWorker = (topicPrefix = prefix) => {
  const child = spawn(process.execPath, [MAIN], { env: env(topicPrefix), stdio: ['ignore', 'ignore', 'inherit'] });
  workers.push(child);
  return child;
};
const live = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
/** The worker of an empty fleet (memory baseline) is not one of the fleet's. */
let baseline: ChildProcess | undefined;
const fleetWorkers = () => live().filter((w) => w !== baseline);
const sample = () => {
  for (const w of live()) lastCpuMs.set(w.pid!, cpuMsOf(w.pid!));
};

/** Connection id → pid of the worker holding its lease. */
async function holders(): Promise<Map<string, number | undefined>> {
  const v = await redis.mget(...ids.map(leaseKey));
  return new Map(ids.map((id, i) => [id, v[i] ? Number(v[i]!.split('-')[0]) : undefined]));
}

/** Waits until the live workers hold every connection; returns max − min connections per worker and when. */
async function settle(timeoutMs = 180_000): Promise<{ spread: number; perWorker: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    sample();
    const pids = fleetWorkers().map((w) => w.pid!);
    const held = await holders();
    const per = new Map(pids.map((p) => [p, 0]));
    let all = true;
    for (const pid of held.values()) {
      if (pid === undefined || !per.has(pid)) all = false;
      else per.set(pid, per.get(pid)! + 1);
    }
    const counts = [...per.values()];
    const spread = Math.max(...counts) - Math.min(...counts);
    if (all && spread <= 1) return { spread, perWorker: counts };
    if (Date.now() > deadline) return { spread: Number.POSITIVE_INFINITY, perWorker: counts };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Published tracked activities per connection (by ce_source), and how many of them are duplicates / missing. */
async function tally() {
  const records = await readWholeTopic(`${prefix}.activities`, { timeoutMs: 300_000 });
  const bySource = new Map<string, string[]>();
  for (const r of records) {
    const list = bySource.get(r.headers.ce_source ?? '') ?? [];
    list.push(r.id);
    bySource.set(r.headers.ce_source ?? '', list);
  }
  let duplicates = 0;
  let missing = 0;
  let truthTotal = 0;
  for (const sim of sims) {
    const got = bySource.get(`/marketo/${sim.instance}`) ?? [];
    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: START })].map((a) => a.marketoGUID);
    truthTotal += truth.length;
    const set = new Set(got);
    duplicates += got.length - set.size;
    missing += truth.filter((id) => !set.has(id)).length;
  }
  return { published: records.length, truthTotal, duplicates, missing };
}

try {
  await ensureConnectionsTopic(kafka, config);
  await writeConnections(
    kafka,
    connectionsTopic(prefix),
    sims.map((sim, i) => ({
      id: ids[i]!,
      record: {
        id: ids[i]!,
        instance: sim.instance,
        baseUrl: sim.url,
        clientId: sim.clientId,
        clientSecretEnv: `SIM_SECRET_${i}`,
        startDate: START,
      },
    })),
  );
  // A worker of an empty fleet: the memory of a worker with no connection.
  const empty = startWorker(`${prefix}-empty`);
  baseline = empty;
  const began = Date.now();
  for (let i = 0; i < W; i++) startWorker();
  const first = await settle();
  log(`${W} workers: ${first.perWorker.join('/')} connections`);
  const joiner = startWorker();
  const second = await settle();
  log(`${W + 1} workers: ${second.perWorker.join('/')} connections`);

  // Backfill done: every connection's activities are in Kafka.
  let counts = await tally();
  while (counts.published < counts.truthTotal && Date.now() - began < 900_000) {
    await new Promise((r) => setTimeout(r, 10_000));
    sample();
    counts = await tally();
    log(`backfill: ${counts.published} of ${counts.truthTotal} activities`);
  }
  const backfillSeconds = (Date.now() - began) / 1000;
  // Idle: every connection waits for its next increment.
  await new Promise((r) => setTimeout(r, 5_000));
  sample();
  const rss = live().map((w) => ({ pid: w.pid!, rss: rssMbOf(w.pid!) }));
  const emptyRss = rssMbOf(empty.pid!);
  const fleetRss = rss.filter((r) => r.pid !== empty.pid);
  const held = await holders();
  const perIdle = fleetRss.map((r) => {
    const n = [...held.values()].filter((p) => p === r.pid).length;
    return n > 0 ? (r.rss - emptyRss) / n : 0;
  });

  const victim = live().find((w) => w !== empty && w !== joiner)!;
  const cpuBeforeKill = cpuMsOf(victim.pid!);
  const killedAt = Date.now();
  const exited = once(victim, 'exit');
  victim.kill('SIGKILL');
  await exited;
  lastCpuMs.set(victim.pid!, cpuBeforeKill);
  const third = await settle();
  const takeoverSeconds = (Date.now() - killedAt) / 1000;
  log(`after SIGKILL: ${third.perWorker.join('/')} connections, taken over in ${takeoverSeconds.toFixed(1)} s`);
  counts = await tally();
  sample();
  const cpuMs = [...lastCpuMs.entries()].filter(([pid]) => pid !== empty.pid).reduce((a, [, ms]) => a + ms, 0);

  const figures = {
    connections: N,
    workers: W,
    activitiesPerConnection: ACTIVITIES,
    // -1: a phase did not settle within its time.
    balanceMaxMinusMin: [first, second, third].some((p) => !Number.isFinite(p.spread))
      ? -1
      : Math.max(first.spread, second.spread, third.spread),
    balanceByPhase: { start: first.perWorker, joined: second.perWorker, afterKill: third.perWorker },
    takeoverSeconds: Math.round(takeoverSeconds * 10) / 10,
    sessionTimeoutSeconds: SESSION_TIMEOUT_MS / 1000,
    leaseTtlSeconds: LEASE_TTL_SECONDS,
    rssPerIdleConnectionMb: Math.round(Math.max(...perIdle) * 10) / 10,
    workerRssMb: Math.max(...fleetRss.map((r) => r.rss)),
    emptyWorkerRssMb: emptyRss,
    cpuMsPer1kActivities: Math.round((cpuMs / Math.max(1, counts.published)) * 1000),
    backfillSeconds: Math.round(backfillSeconds),
    // Not measured by this run: no live arrivals (frozen worlds) and streams still run one after another.
    freshnessP99Seconds: null,
    incrementIntervalSeconds: INCREMENT_INTERVAL_SECONDS,
    backfillRatioToFloor: null,
    activities: counts.published,
    duplicates: counts.duplicates,
    missing: counts.missing,
  };
  console.log(JSON.stringify(figures, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  for (const w of live()) w.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.close()));
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([fleetGroupId(config), `${prefix}-empty.workers`]).catch(() => undefined);
  await admin.disconnect();
  await deleteTopicsWithPrefix(kafka, prefix);
  const keys = await redis.keys(`mkto:{${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
process.exit(0);
