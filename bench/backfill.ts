/**
 * Backfill bench: `npm run bench:backfill -- [--json FILE] [--months N]`. A seeded world with the
 * issue's density (10,000,000 activities and 200,000 leads over two years) over the last N months
 * (default 2: what runs here in a few minutes; the in-process simulator holds its files in memory),
 * with the export budget scaled by the same fraction; in-process simulator, virtual time, Marketo's
 * bulk processing times. Backfilled
 * by the whole service twice: with BACKFILL_METHOD=bulk (an export budget scaled to the world, no
 * REST share, so a spent budget waits for the Central midnight) and with REST only. Counts Marketo
 * calls with the simulator's counter, export MB per day from the export budget's Redis hashes, and
 * checks both topics against the simulator's ground truth (missing and doubled marketoGUIDs).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { type Config, parseConfig } from '../src/config/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { createLogger } from '../src/log.ts';
import { runService } from '../src/service.ts';
import { readWholeTopic } from '../test/support/committed-reader.ts';
import { FakeClock } from '../test/support/fake-clock.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';
import { deleteTopicsWithPrefix } from './support.ts';

/** The world: 10,000,000 activities over two years and 200,000 leads, 500 MB of exports a day. */
const FULL_ACTIVITIES = 10_000_000;
const FULL_LEADS = 200_000;
const FULL_BUDGET_MB = 500;
const FULL_MONTHS = 24;
const DAY = 86_400_000;
const MB = 1024 * 1024;

/** What the bench reports (the keys the issue names, plus how the world was scaled). */
export interface BackfillBenchResult {
  activities: number;
  restCallsBulk: number;
  restCallsRestOnly: number;
  maxExportMbPerDay: number;
  exportBudgetMb: number;
  simulatedDays: number;
  /** Days the bulk exports would take at 2 GB a day scaled like the budget (total MB ÷ that budget). */
  simulatedDaysAt2GbPerDay: number;
  exportedMb: number;
  bulkJobs: number;
  bulkActivitiesPerSec: number;
  peakRssMb: number;
  missing: number;
  doubled: number;
  /** Published ids the ground truth does not hold (should be 0). */
  unexpected: number;
  /** The world run, against the issue's: `factor` = months ÷ 24 (activities, leads and budget scaled by it). */
  scale: { months: number; worldActivities: number; leads: number; factor: number };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Missing, doubled and unexpected marketoGUIDs of `topic` against `truth`. */
async function checkAgainst(topic: string, truth: ReadonlySet<string>) {
  const records = await readWholeTopic(topic, { timeoutMs: 600_000 });
  const seen = new Set<string>();
  let doubled = 0;
  for (const r of records) {
    if (seen.has(r.id)) doubled++;
    seen.add(r.id);
  }
  let missing = 0;
  for (const id of truth) if (!seen.has(id)) missing++;
  const extra = [...seen].filter((id) => !truth.has(id)).length;
  if (doubled + extra + missing > 0)
    console.error(`${topic}: ${missing} missing, ${doubled} doubled, ${extra} not in the truth`);
  return { missing, doubled, unexpected: extra };
}

/** The export bytes metered per day on `instance`, from the export budget's day hashes. */
async function exportMbPerDay(redis: Redis, instance: string): Promise<number[]> {
  const keys = (await redis.keys(`mkto:{${instance}}:bulk:*`)).filter((k) => /:\d{4}-\d{2}-\d{2}$/.test(k));
  const used = await Promise.all(keys.map((k) => redis.hget(k, 'usedBytes')));
  return used.map((u) => Number(u ?? 0) / MB);
}

export async function benchBackfill(o: { months: number }): Promise<BackfillBenchResult> {
  const services = endpointsFromEnv() ?? startLocalStack();
  process.env.KAFKA_BROKERS ??= services.kafkaBrokers;
  const factor = o.months / FULL_MONTHS;
  const activities = Math.round(FULL_ACTIVITIES * factor);
  const leads = Math.round(FULL_LEADS * factor);
  const budgetMb = round(FULL_BUDGET_MB * factor, 3);
  const now = '2026-11-30T12:00:00Z';
  const startDate = new Date(Date.parse('2026-11-30T00:00:00Z') - Math.round((o.months * 730.5 * DAY) / 24))
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const clock = new FakeClock(now);
  const sim = await startSimulator({
    seed: 16,
    leads,
    activities,
    start: startDate,
    end: now,
    now,
    clock,
    numericGuids: true,
    limits: { ratePer20s: false, dailyQuota: 10_000_000 },
    quirks: { shortPageRate: 0, emptyPageRate: 0 },
  });
  const run = `bench-backfill-${Date.now().toString(36)}`;
  const redis = new Redis(services.redisUrl);
  const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const configOf = (name: string, backfill: Record<string, unknown>): Readonly<Config> =>
    parseConfig({
      kafka: { brokers: services.kafkaBrokers.split(','), topicPrefix: `${run}-${name}`, partitions: 6 },
      schemaRegistry: { url: services.schemaRegistryUrl },
      redis: { url: services.redisUrl },
      logLevel: 'warn',
      incrementIntervalSeconds: 3600,
      backfill,
      bulk: { dailyMb: budgetMb, reserveMb: 0 },
      connections: [
        {
          id: `${run}-${name}`,
          instance: `${run}-${name}`,
          baseUrl: sim.url,
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          startDate,
          streams: ['activities'],
          ratePer20s: 100,
        },
      ],
    });
  const backfill = async (config: Readonly<Config>) => {
    const result = await runService({
      config,
      logger,
      signal: new AbortController().signal,
      clock,
      untilCaughtUp: true,
    });
    const error = Object.values(result)[0]?.error;
    if (error) throw error;
  };
  try {
    // What Marketo shows when a run ends (late arrivals become visible as the simulated days pass).
    const truthNow = () =>
      new Set([...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: startDate })].map((a) => a.marketoGUID));

    const bulk = configOf('bulk', { method: 'bulk', restShare: 0 });
    const startedAt = clock.now();
    const wall = performance.now();
    await backfill(bulk);
    const bulkSeconds = (performance.now() - wall) / 1000;
    const simulatedDays = Math.ceil((clock.now() - startedAt) / DAY);
    const restCallsBulk = sim.counts().total.counted;
    const perDay = await exportMbPerDay(redis, bulk.connections[0]!.instance);
    const bulkJobs = sim.bulk.jobs().length;
    const truth = truthNow();
    const bulkCheck = await checkAgainst(`${bulk.kafka.topicPrefix}.activities`, truth);

    sim.resetCounts();
    const rest = configOf('rest', { method: 'rest' });
    await backfill(rest);
    const restCallsRestOnly = sim.counts().total.counted;
    const restCheck = await checkAgainst(`${rest.kafka.topicPrefix}.activities`, truthNow());

    const exportedMb = perDay.reduce((a, b) => a + b, 0);
    return {
      activities: truth.size,
      restCallsBulk,
      restCallsRestOnly,
      maxExportMbPerDay: round(Math.max(0, ...perDay), 3),
      exportBudgetMb: budgetMb,
      simulatedDays,
      simulatedDaysAt2GbPerDay: Math.ceil(exportedMb / (2000 * factor)),
      exportedMb: round(exportedMb, 3),
      bulkJobs,
      bulkActivitiesPerSec: Math.round(truth.size / bulkSeconds),
      peakRssMb: round(process.resourceUsage().maxRSS / 1024),
      missing: bulkCheck.missing + restCheck.missing,
      doubled: bulkCheck.doubled + restCheck.doubled,
      unexpected: bulkCheck.unexpected + restCheck.unexpected,
      scale: { months: o.months, worldActivities: activities, leads, factor: round(factor, 4) },
    };
  } finally {
    await sim.close();
    const keys = await redis.keys(`mkto:{${run}-*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await deleteTopicsWithPrefix(
      createKafka({ clientId: 'marketo-stream-bench', brokers: services.kafkaBrokers.split(',') }),
      run,
    );
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: 'string' }, months: { type: 'string' } } });
  const figures = await benchBackfill({ months: Number(values.months ?? 2) });
  const json = JSON.stringify(figures, null, 2);
  if (values.json) writeFileSync(values.json, `${json}\n`);
  console.log(json);
  process.exit(0);
}
