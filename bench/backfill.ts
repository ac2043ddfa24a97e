/**
 * Backfill bench: `npm run bench:backfill -- [--json FILE] [--months N] [--rest-months M] [--no-rss | --only-service]
 * | --only-rest | --rest-from FILE] [--lead-snapshot-since DATE|earliest|start-date] [--bulk-daily-mb N]`.
 *
 * 1. A seeded world with the issue's density (10,000,000 activities and 200,000 leads over two
 *    years) over the last N months (default 24: the issue's world), with the daily export budget
 *    scaled by N ÷ 24 (the budget: `--bulk-daily-mb`, default 500, the service's BULK_DAILY_MB and the
 *    simulator's export quota alike); in-process simulator, virtual time, Marketo's bulk processing times. The
 *    service backfills it with BACKFILL_METHOD=bulk and no REST share (a spent budget waits for
 *    the Central midnight): first the activities, then (a second connection on the same instance
 *    and topics) the leads, whose snapshot goes through lead exports and whose activity-driven
 *    stream reads the backfilled activities. Marketo calls from the simulator's counter, export MB
 *    per Central day from the export budget's Redis hashes.
 * 2. REST only on the last M months of the same world (default: all N when N ≤ 2, else 2); with
 *    M < N the REST-only figure for the whole world is extrapolated by activities and said so
 *    (`restOnly.extrapolated`). To measure it on the whole world beside the bulk run, run
 *    `--only-rest` (part 2 alone, M = N by default; the world is the same for the same N: it is
 *    seeded) in one process and `--rest-from FILE` (parts 1 and 3, then part 2's figures from the
 *    other run's JSON, waited for) in another.
 * 3. The service's own memory and speed on the bulk path (`--no-rss` leaves it out,
 *    `--only-service` runs it alone): the service as a child process (as `npm start` runs it)
 *    against the simulator in a process of its own, two months at the issue's density, one export
 *    file per 31-day window (the budget is not the limit here): the activities (rate, peak RSS),
 *    activities and leads (peak RSS), and the activities at a quarter of the density (a flat peak
 *    RSS shows the file is streamed).
 *
 * Every topic is checked against the simulator's ground truth: activities missing, doubled or not
 * in the truth; leads created in the snapshot's range missing, and lead records (ce_id) doubled.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type Simulator, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { BYTES_PER_MB } from '../src/bulk/index.ts';
import { type Config, parseConfig } from '../src/config/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { createLogger } from '../src/log.ts';
import { runService } from '../src/service.ts';
import { readWholeTopic } from '../test/support/committed-reader.ts';
import { FakeClock } from '../test/support/fake-clock.ts';
import { endpointsFromEnv, type ServiceEndpoints, startLocalStack } from '../test/support/services.ts';
import { cpuMsOf, deleteTopicsWithPrefix, runServiceProcess, spawnSimulator } from './support.ts';

/** The world: 10,000,000 activities over two years and 200,000 leads, 500 MB of exports a day (the default budget). */
const FULL_ACTIVITIES = 10_000_000;
const FULL_LEADS = 200_000;
const FULL_BUDGET_MB = 500;
const FULL_MONTHS = 24;
const DAY = 86_400_000;
const MB = 1024 * 1024;
const MONTH_MS = (730.5 * DAY) / 24;

/** What the bench reports (the keys the issue names first). */
export interface BackfillBenchResult {
  /** Tracked activities in the world (the ground truth). */
  activities: number;
  /** Marketo calls of the bulk-mode backfill, activities and leads. */
  restCallsBulk: number;
  /** Marketo calls of a REST-only backfill of the whole world (extrapolated when `restOnly.extrapolated`). */
  restCallsRestOnly: number;
  maxExportMbPerDay: number;
  /** The run's daily export budget, scaled (`bulkDailyMb` × `scale.factor`). */
  exportBudgetMb: number;
  /** The daily export budget of the world the run used (`--bulk-daily-mb`, unscaled). */
  bulkDailyMb: number;
  /** Simulated days the bulk-mode backfill took at the run's budget (`exportBudgetMb` a day). */
  simulatedDays: number;
  /** `simulatedDays` of a run at 2 GB a day (`--bulk-daily-mb 2000`), measured; absent at other budgets. */
  simulatedDaysAt2GbPerDay?: number;
  /** Activities per second of the service alone on the bulk path (child process run; see `service`). */
  bulkActivitiesPerSec: number;
  /** Peak RSS of the service (child process) on the bulk path, activities and leads; absent with `--no-rss`. */
  peakRssMb?: number;
  missing: number;
  doubled: number;
  /** Published activity ids the ground truth does not hold (should be 0). */
  unexpected: number;
  /** The bulk-mode run, split. */
  bulk: {
    activityCalls: number;
    /** The leads run's calls: the snapshot's, and the other lead streams' (leads.by-activity fetching leads by id; leads.deleted and leads.merged paging deletedleads.json and Merge Leads activities over the history). */
    leadCalls: number;
    activityCallsByEndpoint: Record<string, number>;
    leadCallsByEndpoint: Record<string, number>;
    /** LEAD_SNAPSHOT_SINCE of the run (the service's default unless `--lead-snapshot-since`). */
    leadSnapshotSince: string;
    exportedMb: number;
    activityJobs: number;
    leadJobs: number;
    leadsPublished: number;
    snapshotLeads: number;
    leadsMissing: number;
    leadRecordsDoubled: number;
    /** Activities ÷ wall seconds of the in-process activity run, the simulator's file building taken out. */
    inProcessActivitiesPerSec: number;
    wallSeconds: number;
    /** Peak RSS of the bench process (service, simulator, its world and every export file it holds). */
    benchProcessPeakRssMb: number;
  };
  /** The REST-only run: on `months` of the world; the whole world's figure extrapolated when `extrapolated`. */
  restOnly: {
    months: number;
    activities: number;
    calls: number;
    activityCalls: number;
    leadCalls: number;
    extrapolated: boolean;
    wallSeconds: number;
  };
  /**
   * The service alone (child process) on the bulk path, two months at the density: the
   * activities (its rate and peak RSS), the activities and leads (peak RSS), and the activities at
   * a quarter of the density (peak RSS: flat when the file is streamed).
   */
  service: ServiceFigures | null;
  /** The world run, against the issue's: `factor` = months ÷ 24 (activities, leads and budget scaled by it). */
  scale: { months: number; worldActivities: number; leads: number; factor: number };
}

/** See {@link BackfillBenchResult.service}. */
export interface ServiceFigures {
  activities: number;
  seconds: number;
  simulatorCpuSeconds: number;
  activitiesPerSec: number;
  peakRssMb: number;
  withLeadsPeakRssMb: number;
  withLeadsSeconds: number;
  leads: number;
  quarterActivities: number;
  peakRssQuarterMb: number;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Missing, doubled and unexpected marketoGUIDs of `topic` against `truth`. */
async function checkActivities(topic: string, truth: ReadonlySet<string>) {
  const seen = new Set<string>();
  let doubled = 0;
  for (const r of await readWholeTopic(topic, { timeoutMs: 1_200_000 })) {
    if (seen.has(r.id)) doubled++;
    seen.add(r.id);
  }
  let missing = 0;
  for (const id of truth) if (!seen.has(id)) missing++;
  let unexpected = 0;
  for (const id of seen) if (!truth.has(id)) unexpected++;
  if (doubled + unexpected + missing > 0)
    console.error(`${topic}: ${missing} missing, ${doubled} doubled, ${unexpected} not in the truth`);
  return { missing, doubled, unexpected, published: seen.size };
}

/** Leads of the snapshot's range (created in [from, to]) not on `topic`, and lead records (ce_id) published twice. */
async function checkLeads(topic: string, sim: Simulator, from: number, to: number) {
  const ids = new Set<string>();
  const leadIds = new Set<number>();
  let doubled = 0;
  for (const r of await readWholeTopic(topic, { timeoutMs: 1_200_000 })) {
    if (r.value === null) continue; // tombstones
    if (ids.has(r.id)) doubled++;
    ids.add(r.id);
    leadIds.add(Number(r.key.split(':').at(-1)));
  }
  let snapshotLeads = 0;
  let missing = 0;
  for (const lead of sim.truth.leads({ fields: ['id', 'createdAt'] })) {
    const created = Date.parse(String(lead.createdAt));
    if (created < from || created > to) continue;
    snapshotLeads++;
    if (!leadIds.has(Number(lead.id))) missing++;
  }
  if (missing + doubled > 0) console.error(`${topic}: ${missing} snapshot leads missing, ${doubled} records doubled`);
  return { missing, doubled, snapshotLeads, published: leadIds.size };
}

/** The earliest creation the bulk lead snapshot must hold (every lead for `earliest`). */
function snapshotFrom(startDate: string, since: string): number {
  if (since === 'earliest') return Number.NEGATIVE_INFINITY;
  return Math.min(Date.parse(startDate), since === 'start-date' ? Number.POSITIVE_INFINITY : Date.parse(since));
}

/** The export bytes metered per day on `instance`, from the export budget's day hashes. */
async function exportMbPerDay(redis: Redis, instance: string): Promise<number[]> {
  const keys = (await redis.keys(`mkto:{${instance}}:bulk:*`)).filter((k) => /:\d{4}-\d{2}-\d{2}$/.test(k));
  const used = await Promise.all(keys.map((k) => redis.hget(k, 'usedBytes')));
  return used.map((u) => Number(u ?? 0) / BYTES_PER_MB);
}

function callsOf(sim: Simulator): { total: number; byEndpoint: Record<string, number> } {
  const counts = sim.counts();
  const byEndpoint: Record<string, number> = {};
  for (const [endpoint, c] of Object.entries(counts.byEndpoint)) if (c.counted > 0) byEndpoint[endpoint] = c.counted;
  return { total: counts.total.counted, byEndpoint };
}

/**
 * The service alone on the bulk path, as a child process against a simulator process: `months`
 * months ending now (real time) at `density` of the issue's, every window's export in one file.
 */
async function serviceRun(
  services: ServiceEndpoints,
  run: string,
  o: { density: number; months: number; streams: string; leadSnapshotSince?: string },
) {
  const { density, months } = o;
  const now = Date.now();
  const start = Math.floor((now - months * MONTH_MS) / DAY) * DAY;
  const activities = Math.round(((FULL_ACTIVITIES * months) / FULL_MONTHS) * density);
  const leads = Math.round(((FULL_LEADS * months) / FULL_MONTHS) * density);
  const sim = await spawnSimulator({
    seed: 16,
    leads,
    activities,
    span: { start: isoSeconds(start), end: isoSeconds(now), now: isoSeconds(now) },
    // Jobs finish at once: the service's own time is measured, not Marketo's queue.
    flags: ['--running', '--numeric-guids', '--bulk-processing-ms=0', '--bulk-processing-ms-per-mb=0'],
  });
  const prefix = `${run}-svc-${Math.round(density * 100)}-${o.streams.replace(',', '-')}`;
  try {
    const simCpu0 = cpuMsOf(sim.child.pid!);
    const measured = await runServiceProcess({
      PATH: process.env.PATH,
      KAFKA_BROKERS: services.kafkaBrokers,
      SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
      REDIS_URL: services.redisUrl,
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      // Other services on the machine may hold the default metrics port.
      METRICS_PORT: '0',
      MARKETO_CONNECTION_ID: prefix,
      MARKETO_INSTANCE: prefix,
      MARKETO_BASE_URL: sim.url,
      MARKETO_CLIENT_ID: sim.clientId,
      MARKETO_CLIENT_SECRET: sim.clientSecret,
      MARKETO_START_DATE: isoSeconds(start),
      MARKETO_STREAMS: o.streams,
      // Marketo's pacing would time the REST calls (the lead streams'), not the service.
      MARKETO_RATE_PER_20S: '100000',
      MARKETO_DAILY_QUOTA: '1000000',
      BACKFILL_METHOD: 'bulk',
      BULK_DAILY_MB: '100000',
      BULK_RESERVE_MB: '0',
      BULK_POLL_MIN_SECONDS: '1',
      ...(o.leadSnapshotSince ? { LEAD_SNAPSHOT_SINCE: o.leadSnapshotSince } : {}),
    });
    const simulatorCpuSeconds = (cpuMsOf(sim.child.pid!) - simCpu0) / 1000;
    let published = 0;
    for (const r of await readWholeTopic(`${prefix}.activities`, { timeoutMs: 600_000 })) if (r.id) published++;
    return { ...measured, activities: published, leads, simulatorCpuSeconds };
  } finally {
    sim.child.kill('SIGKILL');
  }
}

/** The service alone on the bulk path (see {@link BackfillBenchResult.service}). */
export async function serviceFigures(
  services: ServiceEndpoints,
  run: string,
  leadSnapshotSince?: string,
): Promise<ServiceFigures> {
  const full = await serviceRun(services, run, { density: 1, months: 2, streams: 'activities' });
  const withLeads = await serviceRun(services, run, {
    density: 1,
    months: 2,
    streams: 'activities,leads',
    ...(leadSnapshotSince ? { leadSnapshotSince } : {}),
  });
  const quarter = await serviceRun(services, run, { density: 0.25, months: 2, streams: 'activities' });
  return {
    activities: full.activities,
    seconds: round(full.seconds),
    simulatorCpuSeconds: round(full.simulatorCpuSeconds),
    activitiesPerSec: Math.round(full.activities / Math.max(full.seconds - full.simulatorCpuSeconds, 0.001)),
    peakRssMb: full.peakRssMb,
    withLeadsPeakRssMb: withLeads.peakRssMb,
    withLeadsSeconds: round(withLeads.seconds),
    leads: withLeads.leads,
    quarterActivities: quarter.activities,
    peakRssQuarterMb: quarter.peakRssMb,
  };
}

/** The REST-only part of the bench, on its own (see `--only-rest` and `--rest-from`). */
export interface RestOnlyPart {
  restCallsRestOnly: number;
  restOnly: BackfillBenchResult['restOnly'];
  missing: number;
  doubled: number;
  unexpected: number;
  scale: BackfillBenchResult['scale'];
}

export async function benchBackfill(o: {
  months: number;
  restMonths: number;
  rss: boolean;
  /** Run only the REST-only part (part 2), on the same world. */
  onlyRest?: boolean;
  /**
   * The REST-only part measured by an `--only-rest` run on the same world (maybe still running in
   * another process): not run again, read once the bulk part is done.
   */
  restFrom?: () => Promise<RestOnlyPart>;
  /** The service's LEAD_SNAPSHOT_SINCE in bulk mode (absent: the service's default). */
  leadSnapshotSince?: string;
  /** The world's daily export budget, before scaling by months (absent: 500). */
  bulkDailyMb?: number;
}): Promise<BackfillBenchResult | RestOnlyPart> {
  const services = endpointsFromEnv() ?? startLocalStack();
  process.env.KAFKA_BROKERS ??= services.kafkaBrokers;
  const factor = o.months / FULL_MONTHS;
  const worldActivities = Math.round(FULL_ACTIVITIES * factor);
  const leads = Math.round(FULL_LEADS * factor);
  const bulkDailyMb = o.bulkDailyMb ?? FULL_BUDGET_MB;
  const budgetMb = round(bulkDailyMb * factor, 3);
  const now = '2026-11-30T12:00:00Z';
  const monthsBack = (m: number) => isoSeconds(Date.parse('2026-11-30T00:00:00Z') - Math.round(m * MONTH_MS));
  const startDate = monthsBack(o.months);
  const handover = Date.parse('2026-11-30T00:00:00Z');
  const clock = new FakeClock(now);
  const sim = await startSimulator({
    seed: 16,
    leads,
    activities: worldActivities,
    start: startDate,
    end: now,
    now,
    clock,
    numericGuids: true,
    // The simulator refuses exports above the service's own budget (in the service's decimal MB).
    limits: { ratePer20s: false, dailyQuota: 10_000_000, bulkDailyBytes: Math.round(budgetMb * BYTES_PER_MB) },
    quirks: { shortPageRate: 0, emptyPageRate: 0 },
  });
  // A line a minute (stderr): virtual time, sleepers, calls and RSS, so a stalled run shows where it stands.
  const heartbeat = setInterval(() => {
    const c = sim.counts().total.counted;
    const rss = Math.round(process.memoryUsage().rss / MB);
    console.error(
      `[bench] ${new Date().toISOString()} virtual ${new Date(clock.now()).toISOString()} sleepers ${clock.pending} calls ${c} rss ${rss} MB`,
    );
  }, 60_000);
  heartbeat.unref();
  const run = `bench-backfill-${Date.now().toString(36)}`;
  const redis = new Redis(services.redisUrl);
  const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const configOf = (c: {
    id: string;
    instance: string;
    prefix: string;
    streams: ('activities' | 'leads')[];
    backfill: Record<string, unknown>;
    startDate: string;
  }): Readonly<Config> =>
    parseConfig({
      kafka: { brokers: services.kafkaBrokers.split(','), topicPrefix: c.prefix, partitions: 6 },
      schemaRegistry: { url: services.schemaRegistryUrl },
      redis: { url: services.redisUrl },
      logLevel: 'warn',
      // Other runs on the machine (the --only-rest one, say) may hold the default metrics port.
      metricsPort: 0,
      incrementIntervalSeconds: 3600,
      backfill: c.backfill,
      bulk: { dailyMb: budgetMb, reserveMb: 0 },
      connections: [
        {
          id: c.id,
          instance: c.instance,
          baseUrl: sim.url,
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          startDate: c.startDate,
          streams: c.streams,
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
  const truthFrom = (from: string) =>
    new Set([...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from })].map((a) => a.marketoGUID));
  const bulkOf = (streams: ('activities' | 'leads')[], name: string) =>
    configOf({
      id: `${run}-bulk-${name}`,
      instance: `${run}-bulk`,
      prefix: `${run}-bulk`,
      streams,
      backfill: {
        method: 'bulk',
        restShare: 0,
        ...(o.leadSnapshotSince ? { leadSnapshotSince: o.leadSnapshotSince } : {}),
      },
      startDate,
    });
  const scale = { months: o.months, worldActivities, leads, factor: round(factor, 4) };
  /** 2. REST only, on the last `restMonths` months of the same world. */
  const restPart = async (truthSize: number): Promise<RestOnlyPart> => {
    sim.resetCounts();
    const restStart = monthsBack(o.restMonths);
    const restConfig = (streams: ('activities' | 'leads')[], name: string) =>
      configOf({
        id: `${run}-rest-${name}`,
        instance: `${run}-rest`,
        prefix: `${run}-rest`,
        streams,
        backfill: { method: 'rest' },
        startDate: restStart,
      });
    const wall = performance.now();
    await backfill(restConfig(['activities'], 'activities'));
    const restActivityCalls = callsOf(sim).total;
    sim.resetCounts();
    await backfill(restConfig(['leads'], 'leads'));
    const restLeadCalls = callsOf(sim).total;
    const restWall = (performance.now() - wall) / 1000;
    const restTruth = truthFrom(restStart);
    const restCheck = await checkActivities(`${run}-rest.activities`, restTruth);
    const restCalls = restActivityCalls + restLeadCalls;
    const extrapolated = o.restMonths < o.months;
    return {
      restCallsRestOnly: extrapolated ? Math.round((restCalls * truthSize) / restTruth.size) : restCalls,
      restOnly: {
        months: o.restMonths,
        activities: restTruth.size,
        calls: restCalls,
        activityCalls: restActivityCalls,
        leadCalls: restLeadCalls,
        extrapolated,
        wallSeconds: round(restWall),
      },
      missing: restCheck.missing,
      doubled: restCheck.doubled,
      unexpected: restCheck.unexpected,
      scale,
    };
  };
  try {
    if (o.onlyRest) return await restPart(truthFrom(startDate).size);
    // 1. Bulk mode: the activities, then the leads on the same instance (one export budget) and topics.
    const startedAt = clock.now();
    const wall = performance.now();
    const build0 = sim.bulk.fileBuildMs();
    await backfill(bulkOf(['activities'], 'activities'));
    const activitySeconds = (performance.now() - wall) / 1000;
    const activityBuildSeconds = (sim.bulk.fileBuildMs() - build0) / 1000;
    const activityCalls = callsOf(sim);
    sim.resetCounts();
    await backfill(bulkOf(['leads'], 'leads'));
    const bulkWall = (performance.now() - wall) / 1000;
    const leadCalls = callsOf(sim);
    const simulatedDays = Math.ceil((clock.now() - startedAt) / DAY);
    const perDay = await exportMbPerDay(redis, `${run}-bulk`);
    const jobs = sim.bulk.jobs();
    const truth = truthFrom(startDate);
    const activitiesCheck = await checkActivities(`${run}-bulk.activities`, truth);
    const leadSnapshotSince = bulkOf(['leads'], 'leads').backfill.leadSnapshotSince;
    const leadsCheck = await checkLeads(`${run}-bulk.leads`, sim, snapshotFrom(startDate, leadSnapshotSince), handover);
    const benchProcessPeakRssMb = round(process.resourceUsage().maxRSS / 1024);

    const rest = o.restFrom ? await o.restFrom() : await restPart(truth.size);
    if (rest.scale.months !== o.months || rest.scale.worldActivities !== worldActivities) {
      throw new Error(`the REST-only part was measured on another world (${JSON.stringify(rest.scale)})`);
    }

    // 3. The service alone, as a child process.
    const service = o.rss ? await serviceFigures(services, run, o.leadSnapshotSince) : null;

    const exportedMb = perDay.reduce((a, b) => a + b, 0);
    const inProcessActivitiesPerSec = Math.round(truth.size / Math.max(activitySeconds - activityBuildSeconds, 0.001));
    return {
      activities: truth.size,
      restCallsBulk: activityCalls.total + leadCalls.total,
      restCallsRestOnly: rest.restCallsRestOnly,
      maxExportMbPerDay: round(Math.max(0, ...perDay), 3),
      exportBudgetMb: budgetMb,
      bulkDailyMb,
      simulatedDays,
      ...(bulkDailyMb === 2000 ? { simulatedDaysAt2GbPerDay: simulatedDays } : {}),
      bulkActivitiesPerSec: service ? service.activitiesPerSec : inProcessActivitiesPerSec,
      ...(service ? { peakRssMb: Math.max(service.peakRssMb, service.withLeadsPeakRssMb) } : {}),
      missing: activitiesCheck.missing + leadsCheck.missing + rest.missing,
      doubled: activitiesCheck.doubled + leadsCheck.doubled + rest.doubled,
      unexpected: activitiesCheck.unexpected + rest.unexpected,
      bulk: {
        activityCalls: activityCalls.total,
        leadCalls: leadCalls.total,
        activityCallsByEndpoint: activityCalls.byEndpoint,
        leadCallsByEndpoint: leadCalls.byEndpoint,
        leadSnapshotSince,
        exportedMb: round(exportedMb, 3),
        activityJobs: jobs.filter((j) => j.kind === 'activities').length,
        leadJobs: jobs.filter((j) => j.kind === 'leads').length,
        leadsPublished: leadsCheck.published,
        snapshotLeads: leadsCheck.snapshotLeads,
        leadsMissing: leadsCheck.missing,
        leadRecordsDoubled: leadsCheck.doubled,
        inProcessActivitiesPerSec,
        wallSeconds: round(bulkWall),
        benchProcessPeakRssMb,
      },
      restOnly: rest.restOnly,
      service,
      scale,
    };
  } finally {
    clearInterval(heartbeat);
    await sim.close();
    redis.disconnect();
    await cleanUp(services, run);
  }
}

/** The JSON in `file`, waiting for it to appear (an `--only-rest` run writes it when done). */
async function readWhenWritten<T>(file: string): Promise<T> {
  while (!existsSync(file)) {
    console.error(`waiting for ${file} (the --only-rest run)`);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
  }
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Removes a run's Redis keys and topics. */
async function cleanUp(services: ServiceEndpoints, run: string): Promise<void> {
  const redis = new Redis(services.redisUrl);
  const keys = await redis.keys(`mkto:{${run}-*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await deleteTopicsWithPrefix(
    createKafka({ clientId: 'marketo-stream-bench', brokers: services.kafkaBrokers.split(',') }),
    run,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      months: { type: 'string' },
      'rest-months': { type: 'string' },
      'no-rss': { type: 'boolean' },
      'only-service': { type: 'boolean' },
      'only-rest': { type: 'boolean' },
      'rest-from': { type: 'string' },
      'lead-snapshot-since': { type: 'string' },
      'bulk-daily-mb': { type: 'string' },
    },
  });
  if (values['only-service']) {
    const services = endpointsFromEnv() ?? startLocalStack();
    const run = `bench-backfill-${Date.now().toString(36)}`;
    try {
      const figures = { service: await serviceFigures(services, run) };
      const json = JSON.stringify(figures, null, 2);
      if (values.json) writeFileSync(values.json, `${json}\n`);
      console.log(json);
    } finally {
      await cleanUp(services, run);
    }
    process.exit(0);
  }
  const months = Number(values.months ?? FULL_MONTHS);
  const onlyRest = values['only-rest'] === true;
  const restMonths = Number(values['rest-months'] ?? (onlyRest ? months : Math.min(months, 2)));
  const bulkDailyMb = Number(values['bulk-daily-mb'] ?? FULL_BUDGET_MB);
  if (!(bulkDailyMb > 0))
    throw new Error(`--bulk-daily-mb must be a positive number of MB (got ${values['bulk-daily-mb']})`);
  const restFile = values['rest-from'];
  const restFrom = restFile ? () => readWhenWritten<RestOnlyPart>(restFile) : undefined;
  const figures = await benchBackfill({
    months,
    restMonths,
    rss: !values['no-rss'],
    onlyRest,
    ...(restFrom ? { restFrom } : {}),
    ...(values['lead-snapshot-since'] ? { leadSnapshotSince: values['lead-snapshot-since'] } : {}),
    bulkDailyMb,
  });
  const json = JSON.stringify(figures, null, 2);
  if (values.json) writeFileSync(values.json, `${json}\n`);
  console.log(json);
  process.exit(0);
}
