/**
 * `npm run bench:fleet -- --json FILE [--connections N] [--activities N] [--workers N] [--increment-interval S] [--no-churn] [--restart]`:
 * a fleet of worker processes sharing N simulated Marketo instances (one connection each, all on
 * one simulator port, realistic per-call latency, worlds that keep moving: new activities appear
 * all along) through the connections topic and the workers' consumer group. Phases: W workers
 * start and backfill; one more joins; one is killed with SIGKILL (`--no-churn`: the W workers only,
 * e.g. 200 connections on one worker; `--restart`: then every worker SIGKILLed and started again). Measures the balance after each change, the take-over
 * time, the start-up (every connection leased, then every one committing) and the checkpoint-topic
 * reads it cost, memory and CPU, freshness (an activity visible in the simulator → its record
 * committed in Kafka), and checks every connection's activities exactly once (read_committed)
 * against the simulator's ground truth. See bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
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
    /** No worker joins and none is killed: the W workers run the fleet throughout. */
    'no-churn': { type: 'boolean', default: false },
    /** At the end, every worker is SIGKILLed and started again: the start-up on a populated checkpoint topic. */
    restart: { type: 'boolean', default: false },
  },
});
const CHURN = !values['no-churn'];
const RESTART = values.restart;
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
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
  ...secrets,
});
const workers: ChildProcess[] = [];
const lastCpuMs = new Map<number, number>();
/** Worker pid → the port of its /metrics. */
const metricsPorts = new Map<number, number>();
const startWorker = async (topicPrefix = prefix) => {
  const port = await freePort();
  const child = spawn(BIN, ['run'], {
    env: { ...env(topicPrefix), METRICS_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  metricsPorts.set(child.pid!, port);
  return child;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const load1 = () => Math.round(loadavg()[0]! * 100) / 100;
const loadAt: Record<string, number> = {};

/** Checkpoint-topic reads of the live fleet workers so far, from their /metrics (summed). */
async function checkpointReads() {
  const totals = { full: 0, catchUp: 0, recordsRead: 0 };
  for (const w of fleetWorkers()) {
    const text = await fetch(`http://127.0.0.1:${metricsPorts.get(w.pid!)}/metrics`).then((r) => r.text());
    const value = (name: string, kind: string) =>
      Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    totals.full += value('marketo_stream_checkpoint_reads_total', 'full');
    totals.catchUp += value('marketo_stream_checkpoint_reads_total', 'catch-up');
    totals.recordsRead +=
      value('marketo_stream_checkpoint_records_read_total', 'full') +
      value('marketo_stream_checkpoint_records_read_total', 'catch-up');
  }
  return totals;
}

/** Connections with a page committed at or after `sinceMs` (the mirrored cursor's `updatedAt`). */
async function connectionsCommittedSince(sinceMs: number): Promise<number> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `mkto:{${prefix}-conn*}:cursor:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hget(key, 'updatedAt');
  const updated = (await pipeline.exec()) ?? [];
  const fresh = new Set<string>();
  keys.forEach((key, i) => {
    const at = updated[i]?.[1];
    if (typeof at === 'string' && Date.parse(at) >= sinceMs) fresh.add(key.slice(0, key.indexOf('}')));
  });
  return fresh.size;
}

/** Offsets `topic` holds now, all partitions: its records and its transactions' commit markers (one per page). */
async function offsetsIn(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Connections with at least one page committed (a cursor mirrored to Redis): running past their start. */
async function committingConnections(): Promise<number> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `mkto:{${prefix}-conn*}:cursor:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) seen.add(key.slice(0, key.indexOf('}')));
  } while (cursor !== '0');
  return seen.size;
}
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
  const empty = await startWorker(`${prefix}-empty`);
  baseline = empty;
  const began = Date.now();
  for (let i = 0; i < W; i++) await startWorker();
  // Start-up: every connection committing its first page, and what reading checkpoints cost until then.
  const startUp = (async () => {
    while ((await committingConnections()) < N && Date.now() - began < 1_800_000) {
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const allCommittingSeconds = (Date.now() - began) / 1000;
    loadAt.startUp = load1();
    return { allCommittingSeconds, checkpointReads: await checkpointReads() };
  })();
  const first = await settle();
  const allLeasedSeconds = (Date.now() - began) / 1000;
  log(`${W} workers: ${first.perWorker.join('/')} connections, all leased after ${allLeasedSeconds.toFixed(1)} s`);
  // The workers have created the topics by now; the tail reads from the start, so it misses nothing.
  await tail.start();
  let joiner: ChildProcess | undefined;
  let second = first;
  if (CHURN) {
    joiner = await startWorker();
    second = await settle();
    log(`${W + 1} workers: ${second.perWorker.join('/')} connections`);
  }
  const started = await startUp;
  log(
    `every connection committing after ${started.allCommittingSeconds.toFixed(1)} s; checkpoint topic read ` +
      `${started.checkpointReads.full} times from its start, ${started.checkpointReads.catchUp} times caught up`,
  );

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
  const steadyReads = await checkpointReads();
  loadAt.steady = load1();
  log(`steady state: worker RSS ${fleetRss.map((r) => r.rss).join(' / ')} MB, empty worker ${emptyRss} MB`);

  let third = second;
  let takeoverSeconds: number | null = null;
  /** Sources (`ce_source`) of the connections the killed worker held. */
  const killedSources = new Set<string>();
  const killedAt = Date.now();
  if (CHURN) {
    const victim = live().find((w) => w !== empty && w !== joiner)!;
    const held = await holders();
    sims.forEach((sim, i) => {
      if (held.get(ids[i]!) === victim.pid) killedSources.add(`/marketo/${sim.instance}`);
    });
    const cpuBeforeKill = cpuMsOf(victim.pid!);
    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    await exited;
    lastCpuMs.set(victim.pid!, cpuBeforeKill);
    third = await settle();
    takeoverSeconds = (Date.now() - killedAt) / 1000;
    log(`after SIGKILL: ${third.perWorker.join('/')} connections, taken over in ${takeoverSeconds.toFixed(1)} s`);
  }
  // Freshness through the kill: the killed worker's connections catch up on their new workers.
  await new Promise((r) => setTimeout(r, 2 * INCREMENT_INTERVAL_SECONDS * 1000));
  const cutoff = Date.now();
  counts = await caughtUpTo(cutoff, INCREMENT_INTERVAL_SECONDS * 1000 + 180_000);
  // Without churn the steady state lasts to the end. With churn, the killed worker's connections
  // are left out of it: an activity of theirs dated up to an interval before the kill had not been
  // fetched yet, and waits for the take-over and the connection's restart instead of its next pass.
  const steadyEnd = CHURN ? killedAt : cutoff;
  const unkilled = (source: string) => !killedSources.has(source);
  const freshness = tail.freshness(backfilledAt, steadyEnd, unkilled);
  const killedBeforeKill = CHURN ? tail.freshness(backfilledAt, steadyEnd, (s) => killedSources.has(s)) : null;
  const throughKill = CHURN ? tail.freshness(killedAt, cutoff) : null;
  for (const a of tail.slowest(backfilledAt, steadyEnd, 5)) {
    log(
      `  slow: ${a.source.split('-').at(-1)}${killedSources.has(a.source) ? ' (killed worker)' : ''} dated ` +
        `${((a.timeMs - steadyEnd) / 1000).toFixed(1)} s from the steady state's end, sent after ` +
        `${((a.sentAtMs - a.timeMs) / 1000).toFixed(1)} s, seen after ${((a.seenAtMs - a.timeMs) / 1000).toFixed(1)} s`,
    );
  }
  log(`freshness p50 ${freshness.p50Seconds} s, p99 ${freshness.p99Seconds} s over ${freshness.count} activities`);
  log(
    `  until sent p50 ${freshness.untilSent.p50Seconds} s, p99 ${freshness.untilSent.p99Seconds} s; ` +
      `sent to seen p50 ${freshness.sentToSeen.p50Seconds} s, p99 ${freshness.sentToSeen.p99Seconds} s`,
  );
  if (killedBeforeKill) {
    log(
      `killed worker's connections before the kill: p50 ${killedBeforeKill.p50Seconds} s, p99 ` +
        `${killedBeforeKill.p99Seconds} s over ${killedBeforeKill.count}`,
    );
  }
  if (throughKill) {
    log(`through the kill: p50 ${throughKill.p50Seconds} s, p99 ${throughKill.p99Seconds} s over ${throughKill.count}`);
  }
  sample();
  const cpuMs = [...lastCpuMs.entries()].filter(([pid]) => pid !== empty.pid).reduce((a, [, ms]) => a + ms, 0);

  let restart = null;
  if (RESTART) {
    // Every connection starts again, on a checkpoint topic that holds the whole run's checkpoints.
    const checkpointTopicOffsets = await offsetsIn(`${prefix}.checkpoints`);
    const restartAt = Date.now();
    for (const w of fleetWorkers()) {
      const exited = once(w, 'exit');
      w.kill('SIGKILL');
      await exited;
    }
    for (let i = 0; i < W; i++) await startWorker();
    await settle();
    const allLeasedSeconds = (Date.now() - restartAt) / 1000;
    while ((await connectionsCommittedSince(restartAt)) < N && Date.now() - restartAt < 1_800_000) {
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const allCommittingSeconds = (Date.now() - restartAt) / 1000;
    const reads = await checkpointReads();
    log(
      `restart: all leased after ${allLeasedSeconds.toFixed(1)} s, every connection committing after ` +
        `${allCommittingSeconds.toFixed(1)} s; ${checkpointTopicOffsets} checkpoint-topic offsets, read ${reads.full} times ` +
        `from the start and ${reads.catchUp} times caught up (${reads.recordsRead} records)`,
    );
    counts = await caughtUpTo(Date.now(), INCREMENT_INTERVAL_SECONDS * 1000 + 180_000);
    restart = {
      checkpointTopicOffsets,
      allLeasedSeconds: Math.round(allLeasedSeconds * 10) / 10,
      allCommittingSeconds: Math.round(allCommittingSeconds * 10) / 10,
      checkpointReads: reads,
      loadAverage: load1(),
    };
  }

  const phases = CHURN ? [first, second, third] : [first];
  const figures = {
    connections: N,
    workers: W,
    churn: CHURN,
    activitiesPerConnection: ACTIVITIES,
    // -1: a phase did not settle within its time.
    balanceMaxMinusMin: phases.some((p) => !Number.isFinite(p.spread)) ? -1 : Math.max(...phases.map((p) => p.spread)),
    balanceByPhase: CHURN
      ? { start: first.perWorker, joined: second.perWorker, afterKill: third.perWorker }
      : { start: first.perWorker },
    takeoverSeconds: takeoverSeconds === null ? null : Math.round(takeoverSeconds * 10) / 10,
    sessionTimeoutSeconds: SESSION_TIMEOUT_MS / 1000,
    leaseTtlSeconds: LEASE_TTL_SECONDS,
    startUp: {
      allLeasedSeconds: Math.round(allLeasedSeconds * 10) / 10,
      allCommittingSeconds: Math.round(started.allCommittingSeconds * 10) / 10,
      checkpointReads: started.checkpointReads,
    },
    checkpointReadsBySteadyState: steadyReads,
    restart,
    rssPerIdleConnectionMb: Math.round(perIdle * 10) / 10,
    workerRssMb: Math.max(...fleetRss.map((r) => r.rss)),
    emptyWorkerRssMb: emptyRss,
    cpuMsPer1kActivities: Math.round((cpuMs / Math.max(1, counts.published)) * 1000),
    backfillSeconds: Math.round(backfillSeconds),
    freshnessP50Seconds: freshness.p50Seconds,
    freshnessP99Seconds: freshness.p99Seconds,
    freshnessMaxSeconds: freshness.maxSeconds,
    freshnessActivities: freshness.count,
    freshnessUntilSent: freshness.untilSent,
    freshnessSentToSeen: freshness.sentToSeen,
    freshnessKilledWorkerBeforeKill: killedBeforeKill,
    freshnessThroughKill: throughKill,
    incrementIntervalSeconds: INCREMENT_INTERVAL_SECONDS,
    // 1-minute load averages of the machine at start-up, steady state and the end (others' work included).
    loadAverage: { ...loadAt, end: load1() },
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
