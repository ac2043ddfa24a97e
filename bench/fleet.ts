/**
 * `npm run bench:fleet -- --json FILE [--connections N] [--activities N] [--workers N] [--increment-interval S]`:
 * a fleet of worker processes sharing N simulated Marketo instances (one connection each, all on
 * one simulator port, realistic per-call latency, worlds that keep moving: new activities appear
 * all along) through the connections topic and the workers' consumer group. Phases: W workers
 * start and backfill; one more joins; one is killed with SIGKILL. Measures the balance after each
 * change, the take-over time, memory and CPU, freshness (an activity visible in the simulator →
 * its record committed in Kafka), and checks every connection's activities exactly once
 * (read_committed) against the simulator's ground truth. See bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startSimulatorHost } from '../simulator/host.ts';
import { TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { connectionsTopic, ensureConnectionsTopic, fleetGroupId, writeConnections } from '../src/fleet/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { leaseKey } from '../src/lease/index.ts';
import { createLogger, routeProcessWarnings } from '../src/log.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';
import { CommittedTail } from './fleet-tail.ts';
import { cpuMsOf, deleteTopicsWithPrefix, rssMbOf } from './support.ts';

routeProcessWarnings(createLogger({ level: 'warn' }));
const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    connections: { type: 'string', default: '20' },
    /** Activities (all types) per connection dated before the fleet starts: its backfill. */
    activities: { type: 'string', default: '300' },
    workers: { type: 'string', default: '3' },
    'increment-interval': { type: 'string', default: '60' },
  },
});
const N = Number(values.connections);
const ACTIVITIES = Number(values.activities);
const W = Number(values.workers);
const SESSION_TIMEOUT_MS = 10_000;
const LEASE_TTL_SECONDS = 10;
const INCREMENT_INTERVAL_SECONDS = Number(values['increment-interval']);
/** The backfill covers this much history; new activities keep arriving at the same rate afterwards. */
const HISTORY_MS = 6 * 3_600_000;
/** How far the worlds reach past the start: longer than the bench runs. */
const FUTURE_MS = 6 * 3_600_000;
const T0 = Math.floor(Date.now() / 1000) * 1000;
const START = new Date(T0 - HISTORY_MS).toISOString();
/** Workers start as a deployment starts them (`npm start`): with the service's Node memory settings. */
const BIN = fileURLToPath(new URL('../bin/marketo-stream', import.meta.url));
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

log(
  `${N} simulated instances on one port, ${ACTIVITIES} activities each over the last ${HISTORY_MS / 3_600_000} h and ` +
    `as many again every ${HISTORY_MS / 3_600_000} h from now on, median 600 ms per call`,
);
const host = await startSimulatorHost({
  instances: Array.from({ length: N }, (_, i) => ({
    seed: 500 + i,
    leads: 50,
    activities: Math.round((ACTIVITIES * (HISTORY_MS + FUTURE_MS)) / HISTORY_MS),
    programs: 5,
    campaigns: 5,
    start: START,
    end: new Date(T0 + FUTURE_MS).toISOString(),
    now: new Date(T0).toISOString(),
    clock: 'running' as const,
    // Visible when dated, so an activity's date is when it became visible (freshness).
    lateArrivalRate: 0,
    instance: `${prefix}-inst${i}`,
    clientId: `${prefix}-client${i}`,
    clientSecret: `${prefix}-secret${i}`,
    latency: { medianMs: 600, p99Ms: 3_000 },
  })),
});
const sims = host.instances;
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
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
  ...secrets,
});
const workers: ChildProcess[] = [];
const lastCpuMs = new Map<number, number>();
const startWorker = (topicPrefix = prefix) => {
  const child = spawn(BIN, ['run'], { env: env(topicPrefix), stdio: ['ignore', 'ignore', 'inherit'] });
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
async function settle(timeoutMs = 180_000 + N * 2_000): Promise<{ spread: number; perWorker: number[] }> {
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

const tail = new CommittedTail(services.kafkaBrokers.split(','), `${prefix}.activities`);

/**
 * The tracked activities dated up to `cutoffMs` against what the tail saw: those not seen
 * (missing), ids seen more than once (duplicates), and seen ids the ground truth does not hold.
 */
function tally(cutoffMs: number) {
  let duplicates = 0;
  let missing = 0;
  let unexpected = 0;
  let truthTotal = 0;
  for (const sim of sims) {
    const seen = tail.idsOf(`/marketo/${sim.instance}`);
    const all = new Set<string>();
    for (const a of sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: START })) {
      all.add(a.marketoGUID);
      if (Date.parse(a.activityDate) > cutoffMs) continue;
      truthTotal++;
      if (!seen.has(a.marketoGUID)) missing++;
    }
    for (const [id, sightings] of seen) {
      duplicates += sightings.length - 1;
      if (!all.has(id)) unexpected++;
    }
  }
  return { published: tail.records, truthTotal, duplicates, missing, unexpected };
}

/** Waits until every tracked activity dated up to `cutoffMs` is committed (or `timeoutMs` passed). */
async function caughtUpTo(cutoffMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let counts = tally(cutoffMs);
  while (counts.missing > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5_000));
    sample();
    counts = tally(cutoffMs);
  }
  return counts;
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
  // The workers have created the topics by now; the tail reads from the start, so it misses nothing.
  await tail.start();
  const joiner = startWorker();
  const second = await settle();
  log(`${W + 1} workers: ${second.perWorker.join('/')} connections`);

  // Backfill done: every activity dated before the workers started is in Kafka.
  let counts = tally(began);
  while (counts.missing > 0 && Date.now() - began < 1_800_000) {
    await new Promise((r) => setTimeout(r, 10_000));
    sample();
    counts = tally(began);
    log(`backfill: ${counts.truthTotal - counts.missing} of ${counts.truthTotal} activities`);
  }
  const backfilledAt = Date.now();
  const backfillSeconds = (backfilledAt - began) / 1000;
  // Steady state: increments only, a pass per connection every interval.
  await new Promise((r) => setTimeout(r, 2 * INCREMENT_INTERVAL_SECONDS * 1000));
  sample();
  const rss = live().map((w) => ({ pid: w.pid!, rss: rssMbOf(w.pid!) }));
  const emptyRss = rssMbOf(empty.pid!);
  const fleetRss = rss.filter((r) => r.pid !== empty.pid);
  // Over the whole fleet: a worker's own count moves while connections restart (their lease is
  // briefly free), which would make a per-worker ratio jump.
  const perIdle = fleetRss.reduce((sum, r) => sum + r.rss - emptyRss, 0) / N;
  log(`steady state: worker RSS ${fleetRss.map((r) => r.rss).join(' / ')} MB, empty worker ${emptyRss} MB`);

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
  // Freshness through the kill: the killed worker's connections catch up on their new workers.
  await new Promise((r) => setTimeout(r, 2 * INCREMENT_INTERVAL_SECONDS * 1000));
  const cutoff = Date.now();
  counts = await caughtUpTo(cutoff, INCREMENT_INTERVAL_SECONDS * 1000 + 180_000);
  const freshness = tail.freshness(backfilledAt, killedAt);
  const throughKill = tail.freshness(killedAt, cutoff);
  log(`freshness p50 ${freshness.p50Seconds} s, p99 ${freshness.p99Seconds} s over ${freshness.count} activities`);
  log(`through the kill: p50 ${throughKill.p50Seconds} s, p99 ${throughKill.p99Seconds} s over ${throughKill.count}`);
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
    rssPerIdleConnectionMb: Math.round(perIdle * 10) / 10,
    workerRssMb: Math.max(...fleetRss.map((r) => r.rss)),
    emptyWorkerRssMb: emptyRss,
    cpuMsPer1kActivities: Math.round((cpuMs / Math.max(1, counts.published)) * 1000),
    backfillSeconds: Math.round(backfillSeconds),
    freshnessP50Seconds: freshness.p50Seconds,
    freshnessP99Seconds: freshness.p99Seconds,
    freshnessMaxSeconds: freshness.maxSeconds,
    freshnessActivities: freshness.count,
    freshnessThroughKill: throughKill,
    incrementIntervalSeconds: INCREMENT_INTERVAL_SECONDS,
    backfillRatioToFloor: null,
    activities: counts.published,
    duplicates: counts.duplicates,
    missing: counts.missing,
    unexpected: counts.unexpected,
  };
  console.log(JSON.stringify(figures, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  for (const w of live()) w.kill('SIGKILL');
  await tail.stop().catch(() => undefined);
  await host.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([fleetGroupId(config), `${prefix}-empty.workers`, tail.groupId]).catch(() => undefined);
  await admin.disconnect();
  await deleteTopicsWithPrefix(kafka, prefix);
  const keys = await redis.keys(`mkto:{${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
process.exit(0);
