/**
 * The soak (issue #17 point 7): `npm run soak -- --minutes N [--seed S]`.
 *
 * A moving simulated world (activities, late arrivals, lead changes, merges and deletions keep
 * appearing as the real clock runs) is pulled by the service, as a child process, for N minutes
 * while a fault storm hits 10% of Marketo calls; at random moments the service is SIGKILLed and
 * started again, the Kafka broker is killed and started again, and Redis is restarted with its data
 * gone. The broker and Redis are the soak's own processes (never the shared local stack's); the
 * schema registry is the one of SCHEMA_REGISTRY_URL (or the local stack's endpoints file).
 * Then the faults stop, the world stops moving, the service catches up, and the activities topic
 * is compared with the simulator's ground truth. The last line is
 * `soak: R records, D duplicates, M missing`; the exit code is 1 unless both are 0, no activity was
 * published that the ground truth does not hold, the catch-up run succeeded and the service never
 * stopped by itself.
 *
 * Late arrivals: the service re-reads its look-back window every LOOKBACK_EVERY_MINUTES (6 hours by
 * default), so within a soak of minutes the defaults would catch none shown after the backfill. The
 * soak re-reads every minute instead, and its catch-up re-reads on every pass, standing for the next
 * scheduled re-read. One shown later than the catch window after its date is counted apart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { DEFAULT_LATE_ARRIVAL_MAX_MS, typeMask } from '../simulator/world.ts';
import { parseConfig } from '../src/config/index.ts';
import { topicNames } from '../src/kafka/index.ts';
import { createLogger } from '../src/log.ts';
import { runService } from '../src/service.ts';
import { removeTestResources } from '../test/support/cleanup.ts';
import { readWholeTopic } from '../test/support/committed-reader.ts';
import { parseEndpointsEnv } from '../test/support/endpoints-file.ts';
import { injectStorm } from '../test/support/fault-storm.ts';
import { createOwnBroker } from '../test/support/own-broker.ts';
import { createOwnRedis } from '../test/support/own-redis.ts';
import { unique, workerEnv } from '../test/support/pipeline.ts';
import { endpointsFromEnv, stackEndpointsFile } from '../test/support/services.ts';
import { judgeSoak } from './soak-verdict.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '3' }, seed: { type: 'string', default: '17' } },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
if (!(minutes > 0) || !Number.isInteger(seed)) {
  console.error('usage: npm run soak -- --minutes N [--seed S]   (N > 0)');
  process.exit(2);
}

/** Deterministic random numbers in [0, 1) from the seed (mulberry32). */
function random(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(seed);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

const registryUrl =
  endpointsFromEnv()?.schemaRegistryUrl ??
  process.env.SCHEMA_REGISTRY_URL ??
  parseEndpointsEnv(readFileSync(stackEndpointsFile(), 'utf8'), stackEndpointsFile()).schemaRegistryUrl;
const dir = mkdtempSync(path.join(tmpdir(), 'soak-'));
say(`${minutes} min, seed ${seed}; logs in ${dir}`);

const broker = await createOwnBroker();
const redis = await createOwnRedis();
await Promise.all([broker.start(), redis.start()]);
// The checker, the cleanup and workerEnv read these.
process.env.KAFKA_BROKERS = broker.brokers;
process.env.REDIS_URL = redis.url;
process.env.SCHEMA_REGISTRY_URL = registryUrl;

// An activity shown L after its date is caught for certain when L ≤ window − period.
const LOOKBACK_MINUTES = 60;
const LOOKBACK_EVERY_MINUTES = 1;
const catchWindowMs = (LOOKBACK_MINUTES - LOOKBACK_EVERY_MINUTES) * 60_000;

// World time is real time until the end, when it stops so the ground truth holds still.
let frozenAt: number | undefined;
const startedAt = Date.now();
const soakMs = minutes * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
// A whole second: the service asks Marketo for whole seconds (the start's second included), so a
// start with milliseconds would leave activities of that second out of the ground truth only.
const worldStart = Math.floor((startedAt - 2 * 3_600_000) / 1000) * 1000;
const sim = await startSimulator({
  seed,
  leads: 2_000,
  activities: Math.round(12_000 + 1_500 * minutes),
  start: iso(worldStart),
  end: iso(startedAt + soakMs + 10 * 60_000),
  now: iso(startedAt),
  clock: { now: () => frozenAt ?? Date.now() },
  lateArrivalRate: 0.03,
  deletedLeadRate: 0.05,
});
const config = parseConfig({
  kafka: { brokers: [broker.brokers], topicPrefix: unique('soak'), partitions: 3 },
  schemaRegistry: { url: registryUrl },
  redis: { url: redis.url },
  logLevel: 'warn',
  metricsPort: 0,
  incrementIntervalSeconds: 5,
  lookbackMinutes: LOOKBACK_MINUTES,
  lookbackEveryMinutes: LOOKBACK_EVERY_MINUTES,
  connections: [
    {
      id: unique('soak-conn'),
      instance: unique('soak-inst'),
      baseUrl: sim.url,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      startDate: iso(worldStart),
      requestTimeoutMs: 2_000,
      leadFields: ['email', 'firstName', 'updatedAt'],
    },
  ],
});
const topics = topicNames(config.kafka.topicPrefix);
const storm = injectStorm((spec) => sim.injectFault(spec), 0.1, 2_500);

/** The service as a child process; one that exits by itself is counted and started again (a supervisor's job). */
const serviceLog = createWriteStream(path.join(dir, 'service.log'));
let service: ChildProcess | undefined;
let unplannedExits = 0;
const startService = () => {
  const child = spawn(process.execPath, [MAIN], { env: workerEnv(config), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(serviceLog, { end: false });
  child.stderr!.pipe(serviceLog, { end: false });
  child.once('exit', (code, signal) => {
    if (service !== child) return;
    unplannedExits++;
    say(`service exited by itself (code ${code}, signal ${signal}); restarting it`);
    setTimeout(() => {
      if (service === child) service = startService();
      // Interrupted: take the soak's own processes down with it.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => {
          void Promise.all([stopService('SIGKILL'), broker.destroy(), redis.kill()]).finally(() => process.exit(130));
        });
      }
    }, 1_000);
  });
  return child;
};
const stopService = async (signal: NodeJS.Signals) => {
  const child = service;
  service = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
};
service = startService();

// One of each disruption, at a random moment between 15% and 85% of the soak.
const at = () => Math.round(soakMs * (0.15 + 0.7 * rand()));
const disruptions: { name: string; atMs: number; run: () => Promise<void> }[] = [
  {
    name: 'SIGKILL the service',
    atMs: at(),
    run: async () => {
      await stopService('SIGKILL');
      service = startService();
    },
  },
  {
    name: 'broker restart',
    atMs: at(),
    run: async () => {
      await broker.kill();
      await sleep(5_000 + Math.round(10_000 * rand()));
      await broker.start();
    },
  },
  {
    name: 'Redis restart (data gone)',
    atMs: at(),
    run: async () => {
      await redis.kill();
      await sleep(2_000);
      await redis.start();
    },
  },
];
const done = disruptions
  .sort((a, b) => a.atMs - b.atMs)
  .map(async (d) => {
    await sleep(d.atMs);
    say(`${d.name} (at ${Math.round(d.atMs / 1000)} s)`);
    await d.run();
    say(`${d.name}: done`);
  });
await sleep(soakMs);
await Promise.all(done);

// The end: no more faults, the world holds still, the service catches up (in this process).
const fired = sim.faultsFired();
sim.clearFaults();
frozenAt = Date.now();
await stopService('SIGTERM');
say('catching up');
const result = await runService({
  config: { ...config, lookbackEveryMinutes: 0 },
  logger: createLogger({ level: 'warn', destination: createWriteStream(path.join(dir, 'catch-up.log')) }),
  signal: AbortSignal.timeout(10 * 60_000),
  untilCaughtUp: true,
});
const failed = Object.values(result).find((r) => r.error)?.error;

const byTopic: Record<string, number> = {};
for (const [name, topic] of Object.entries(topics)) {
  if (name === 'checkpoints') continue;
  byTopic[name] = (await readWholeTopic(topic, { timeoutMs: 120_000 })).length;
}
const activities = await readWholeTopic(topics.activities, { timeoutMs: 120_000 });
// What sim.truth.activities() holds, with when each activity was shown.
const truth = [
  ...sim.world.iterate({ typeMask: typeMask(TRACKED_TYPE_IDS) }, worldStart, Number.POSITIVE_INFINITY, sim.clock.now()),
].map((a) => ({ guid: a.guid, date: a.date, visibleAt: a.visibleAt }));
const verdict = judgeSoak(
  activities.map((r) => r.id),
  truth,
  catchWindowMs,
);
const duplicates = verdict.duplicates.length;
const missing = verdict.missing.length;

const counts = sim.counts();
const faults: Record<string, number> = {};
for (const f of fired) faults[storm.get(f.id) ?? `rule ${f.id}`] = f.fired;
const quotaRedis = new Redis(redis.url);
const instance = config.connections[0]!.instance;
const usage = await Promise.all(
  Object.entries(counts.byDate).map(async ([date, counted]) => {
    const used = await quotaRedis.hget(`mkto:{${instance}}:quota:${date}`, 'used');
    return `${date}: Marketo counted ${counted} of ${config.connections[0]!.dailyQuota} (service's counter ${used ?? 'none'})`;
  }),
);
quotaRedis.disconnect();

console.log(`records by topic: ${JSON.stringify(byTopic)}`);
console.log(`faults injected by kind: ${JSON.stringify(faults)} (${fired.reduce((n, f) => n + f.fired, 0)} in all)`);
console.log(`calls against the quota: ${usage.join('; ')}`);
console.log(
  `refusals caused by the service's own pacing: 606 ${counts.total.rateLimited606}, 615 ${counts.total.concurrency615}, 607 ${counts.total.quota607}`,
);
console.log(`disruptions: ${disruptions.map((d) => `${d.name} at ${Math.round(d.atMs / 1000)} s`).join(', ')}`);
console.log(`service exits not caused by the soak: ${unplannedExits}`);
if (failed) console.log(`catch-up run failed: ${failed.message}`);
const some = (ids: string[]) => (ids.length > 0 ? ` (${ids.slice(0, 5).join(', ')})` : '');
console.log(
  `late arrivals (shown up to ${(sim.world.options.lateArrivalMaxMs ?? DEFAULT_LATE_ARRIVAL_MAX_MS) / 60_000} min late; caught for certain up to ${catchWindowMs / 60_000} min): ${verdict.lateArrivals}, published ${verdict.lateArrivalsPublished}`,
);
console.log(
  `not published, shown later than the catch window (not counted as missing): ${verdict.beyondCatchWindow.length}${some(verdict.beyondCatchWindow)}`,
);
if (missing > 0) console.log(`missing: ${some(verdict.missing).trim()}`);
if (verdict.unexpected.length > 0) {
  console.log(
    `activities published that the ground truth does not hold: ${verdict.unexpected.length}${some(verdict.unexpected)}`,
  );
}

await removeTestResources({ topicPrefixes: [config.kafka.topicPrefix], redisIds: [] }).catch(() => {});
await sim.close();
await Promise.all([broker.destroy(), redis.kill()]);
console.log(`soak: ${verdict.records} records, ${duplicates} duplicates, ${missing} missing`);
// A service that stopped by itself (a fatal error on a fault it should have survived) fails the soak too.
const passed = duplicates === 0 && missing === 0 && verdict.unexpected.length === 0 && !failed && unplannedExits === 0;
process.exit(passed ? 0 : 1);
