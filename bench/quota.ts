/**
 * Marketo calls per simulated day of the activities streams, against the floor of reading each
 * activity once: `npm run bench:quota -- --json FILE [--hours H] [--per-day N] [--late-rate R]
 * [--late-max-hours H] [--lookback-minutes M] [--lookback-every-minutes M] [--deep-hours H]
 * [--deep-every-hours H] [--deep-method auto|bulk|rest] [--interval-seconds S] [--scan-cap N]
 * [--idle-hours H] [--skew-seconds S] [--reset-late-seconds S] [--only-quota-edge]`.
 *
 * The service's own stream definitions (activity groups of the 20 default types, cursor rules,
 * paging, the fallback for rejected tokens, the deep look-back's Bulk Extract jobs) run pass after
 * pass against the simulator over HTTP, on a virtual clock (no waiting; a bulk job's processing time
 * passes on it); the runner's de-duplication is the runner's SeenWindow. Kafka is
 * not in the loop: what is published does not change what is asked of Marketo. A scenario of its own
 * takes the daily quota across Central midnight through the real Quota (Redis at REDIS_URL) and
 * reports the pause after Marketo's 607.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { nextZonedMidnight, zonedDate } from '../simulator/chicago.ts';
import { ACTIVITY_TYPES, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { typeMask } from '../simulator/world.ts';
import type { Clock } from '../src/clock.ts';
import { DEFAULT_TRACKED_ACTIVITY_TYPES } from '../src/config/defaults.ts';
import { configSchema } from '../src/config/schema.ts';
import { ErrorCodes, hasCode } from '../src/errors.ts';
import { createLogger } from '../src/log.ts';
import { getActivityTypes, getDailyUsage, MarketoClient } from '../src/marketo/index.ts';
import type { QuotaGate } from '../src/marketo/types.ts';
import { Quota } from '../src/quota/index.ts';
import { retriableDecision, retry } from '../src/retry/index.ts';
import { SeenWindow } from '../src/runner/seen-window.ts';
import { activitiesStream } from '../src/streams/activities.ts';
import { planActivityGroups, resolveActivityTypes } from '../src/streams/activity-groups.ts';
import type { AnyStreamDefinition } from '../src/streams/stream.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    hours: { type: 'string', default: '24' },
    'per-day': { type: 'string', default: '500000' },
    'late-rate': { type: 'string', default: '0.02' },
    'late-max-hours': { type: 'string', default: '24' },
    'interval-seconds': { type: 'string' },
    'lookback-minutes': { type: 'string' },
    'lookback-every-minutes': { type: 'string' },
    'deep-hours': { type: 'string' },
    'deep-every-hours': { type: 'string' },
    'deep-method': { type: 'string' },
    'scan-cap': { type: 'string' },
    'idle-hours': { type: 'string', default: '24' },
    seed: { type: 'string', default: '7' },
    'only-quota-edge': { type: 'boolean', default: false },
    'skew-seconds': { type: 'string', default: '30' },
    'reset-late-seconds': { type: 'string', default: '45' },
  },
});

/** The service's defaults (from the configuration schema), overridden by the options given. */
function settings() {
  const defaults = configSchema.shape;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  // A setting the code under test does not have yet is NaN (give it as an option).
  const pick = (v: string | undefined, field: string) =>
    num(v) ??
    ((defaults as Record<string, { parse(v: unknown): unknown } | undefined>)[field]?.parse(undefined) as number) ??
    Number.NaN;
  return {
    intervalMs: pick(values['interval-seconds'], 'incrementIntervalSeconds') * 1000,
    lookbackMinutes: pick(values['lookback-minutes'], 'lookbackMinutes'),
    lookbackEveryMinutes: pick(values['lookback-every-minutes'], 'lookbackEveryMinutes'),
    deepLookbackHours: pick(values['deep-hours'], 'deepLookbackHours'),
    deepLookbackEveryHours: pick(values['deep-every-hours'], 'deepLookbackEveryHours'),
    // Code before the bulk deep look-back has no such setting: REST.
    deepLookbackMethod: (values['deep-method'] ??
      (defaults as Record<string, { parse(v: unknown): unknown } | undefined>).deepLookbackMethod?.parse(undefined) ??
      'rest') as 'auto' | 'bulk' | 'rest',
  };
}

/** A clock whose time only moves when told; waits (the client's backoff) pass at once. */
function virtualClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
    },
    set: (ms) => {
      now = Math.max(now, ms);
    },
  };
}

const noQuota: QuotaGate = {
  reserve: async () => ({ release: async () => {} }),
  exhaust: async () => {
    throw new Error('the benchmark runs without a quota');
  },
};

interface Run {
  hours: number;
  passes: number;
  streams: number;
  calls: number;
  pagingTokenCalls: number;
  /** Bulk Extract calls (create, enqueue, status, file) of the deep look-back. */
  bulkCalls: number;
  /** Export bytes of the deep look-back's completed jobs. */
  exportBytes: number;
  bulkJobs: number;
  floorCalls: number;
  published: number;
  duplicates: number;
  late: { total: number; caught: number; byLateness: Record<string, { total: number; caught: number }> };
  peakSeenIds: number;
  wallMs: number;
}

const LATENESS_BUCKETS: [string, number][] = [
  ['≤1h', HOUR],
  ['≤2h', 2 * HOUR],
  ['≤6h', 6 * HOUR],
  ['≤24h', 24 * HOUR],
  ['>24h', Number.POSITIVE_INFINITY],
];

/** The look-back schedule of the activities streams, in ms. */
interface Schedule {
  lookbackMs: number;
  everyMs: number;
  deepLookbackMs: number;
  deepEveryMs: number;
}

function scheduleOf(s: ReturnType<typeof settings>): Schedule {
  return {
    lookbackMs: s.lookbackMinutes * MINUTE,
    everyMs: s.lookbackEveryMinutes * MINUTE,
    deepLookbackMs: s.deepLookbackHours * HOUR,
    deepEveryMs: s.deepLookbackEveryHours * HOUR,
  };
}

/** The deep look-back's bulk side as the service builds it, without a Redis export budget (the simulator meters its own). */
function deepLookbackOf(method: 'auto' | 'bulk' | 'rest') {
  const defaults = configSchema.shape;
  const bulk = defaults.bulk.parse(undefined) as { dailyMb: number; reserveMb: number; pollMinSeconds: number };
  return {
    method,
    timeZone: 'America/Chicago',
    pollMinMs: bulk.pollMinSeconds * 1000,
    dailyQuota: 50_000,
    dailyExportBytes: (bulk.dailyMb - bulk.reserveMb) * 1024 * 1024,
  };
}

/** The service's activities streams (the default tracked types in their groups) from `startMs`. */
async function activityStreamDefs(
  client: MarketoClient,
  instance: string,
  startMs: number,
  schedule: Schedule,
  deepMethod: 'auto' | 'bulk' | 'rest' = 'rest',
) {
  const types = await getActivityTypes(client);
  const tracked = resolveActivityTypes([...DEFAULT_TRACKED_ACTIVITY_TYPES], types);
  const typeNames = new Map(types.map((t) => [t.id, t.name]));
  const defs: AnyStreamDefinition[] = planActivityGroups(tracked, []).map((group) =>
    activitiesStream({
      client,
      group,
      topic: 'bench',
      instance,
      connection: 'bench',
      typeNames,
      startDate: new Date(startMs).toISOString(),
      // Both spellings: the code before the schedule takes `lookbackMs`, the code after `schedule`.
      ...({ lookbackMs: schedule.lookbackMs } as object),
      schedule,
      dailySplitThreshold: 100_000_000,
      ...(deepMethod === 'rest' ? {} : { deepLookback: deepLookbackOf(deepMethod) }),
    }),
  );
  return { defs, tracked };
}

/**
 * One simulated stretch: a backfill of the hour before `t0`, then a pass every interval for
 * `hours`. Counts only the passes after the backfill. `perDay` tracked activities a day.
 */
async function simulate(o: { hours: number; perDay: number; seed: number }): Promise<Run> {
  const s = settings();
  const wallStart = performance.now();
  const t0 = Date.parse('2026-03-02T00:00:00Z');
  // The world: tracked activities at `perDay` a day (noise types on top, as on an instance).
  const weights = ACTIVITY_TYPES.filter((t) => t.weight > 0);
  const trackedShare =
    weights.filter((t) => TRACKED_TYPE_IDS.includes(t.id)).reduce((a, t) => a + t.weight, 0) /
    weights.reduce((a, t) => a + t.weight, 0);
  // An idle world has no activity at all after the backfill's start: its leads' own events
  // (New Lead, Change Data Value) fall before it too.
  const idle = o.perDay === 0;
  const worldStart = t0 - (idle ? 4 : 2) * HOUR;
  const worldEnd = idle ? t0 - 2 * HOUR : t0 + (o.hours + 2) * HOUR;
  const clock = virtualClock(t0);
  const sim = await startSimulator({
    seed: o.seed,
    leads: 2_000,
    activities: Math.round((((worldEnd - worldStart) / (24 * HOUR)) * o.perDay) / trackedShare),
    start: new Date(worldStart).toISOString(),
    end: new Date(worldEnd).toISOString(),
    now: new Date(t0).toISOString(),
    clock,
    limits: { ratePer20s: false, maxInFlight: false, dailyQuota: false },
    quirks: { shortPageRate: 0, emptyPageRate: 0 },
    lateArrivalRate: Number(values['late-rate']),
    lateArrivalMaxMs: Number(values['late-max-hours']) * HOUR,
    scanCap: values['scan-cap'] === undefined ? undefined : Number(values['scan-cap']),
    deletedLeadRate: 0,
  });
  const logger = createLogger({ level: 'silent' });
  const client = new MarketoClient({
    baseUrl: sim.url,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    quota: noQuota,
    clock,
    logger,
  });
  try {
    const { defs, tracked } = await activityStreamDefs(
      client,
      sim.instance,
      t0 - HOUR,
      scheduleOf(s),
      s.deepLookbackMethod,
    );
    const ctx = { clock, logger, signal: new AbortController().signal };
    const cursors = defs.map((d) => d.initialCursor(clock.now()));
    const seen = defs.map((d) => new SeenWindow(d.lookbackMs));
    const everPublished = new Set<string>();
    const callsNow = () => {
      const by = sim.counts().byEndpoint;
      const token = by['/rest/v1/activities/pagingtoken.json']?.requests ?? 0;
      const bulk = Object.entries(by)
        .filter(([path]) => path.startsWith('/bulk/'))
        .reduce((a, [, c]) => a + c.requests, 0);
      return { all: (by['/rest/v1/activities.json']?.requests ?? 0) + token + bulk, token, bulk };
    };
    let before = { all: 0, token: 0, bulk: 0 };
    let floorCalls = 0;
    let published = 0;
    let duplicates = 0;
    let peakSeenIds = 0;
    const passes = Math.floor((o.hours * HOUR) / s.intervalMs);
    for (let pass = 0; pass <= passes; pass++) {
      clock.set(t0 + pass * s.intervalMs);
      if (pass === 1) before = callsNow(); // the backfill is not counted
      for (const [j, def] of defs.entries()) {
        let cursor = cursors[j];
        if (!def.inPass(cursor)) cursor = def.beginPass(cursor, clock.now());
        let fresh = 0;
        for (let done = false; !done; ) {
          const page = await def.fetchPage(cursor, ctx);
          for (const raw of page.records) {
            const rec = def.toRecord(raw, clock.now());
            if (seen[j]!.has(rec.id)) {
              duplicates++;
              continue;
            }
            seen[j]!.add(rec.id, rec.time);
            everPublished.add(rec.id);
            fresh++;
          }
          seen[j]!.evict();
          def.afterCommit?.(page.records); // as the runner does once the page's transaction commits
          cursor = page.cursor;
          done = page.done;
        }
        cursors[j] = cursor;
        peakSeenIds = Math.max(
          peakSeenIds,
          seen.reduce((a, w) => a + w.size, 0),
        );
        if (pass > 0) {
          floorCalls += Math.max(1, Math.ceil(fresh / 300));
          published += fresh;
        }
      }
    }
    const after = callsNow();
    const jobs = sim.bulk.jobs().filter((j) => j.kind === 'activities' && Date.parse(j.createdAt) >= t0 + s.intervalMs);
    // Late arrivals dated after the backfill and visible by the last pass: were they published?
    const end = t0 + passes * s.intervalMs;
    const late: Run['late'] = {
      total: 0,
      caught: 0,
      byLateness: Object.fromEntries(LATENESS_BUCKETS.map(([name]) => [name, { total: 0, caught: 0 }])),
    };
    for (const a of sim.world.iterate({ typeMask: typeMask(tracked) }, t0, end, end)) {
      if (a.visibleAt <= a.date) continue;
      const bucket = LATENESS_BUCKETS.find(([, max]) => a.visibleAt - a.date <= max)![0];
      const caught = everPublished.has(a.guid) ? 1 : 0;
      late.total++;
      late.caught += caught;
      late.byLateness[bucket]!.total++;
      late.byLateness[bucket]!.caught += caught;
    }
    return {
      hours: (passes * s.intervalMs) / HOUR,
      passes,
      streams: defs.length,
      calls: after.all - before.all,
      pagingTokenCalls: after.token - before.token,
      bulkCalls: after.bulk - before.bulk,
      exportBytes: jobs.reduce((a, j) => a + (j.fileSize ?? 0), 0),
      bulkJobs: jobs.length,
      floorCalls,
      published,
      duplicates,
      late,
      peakSeenIds,
      wallMs: Math.round(performance.now() - wallStart),
    };
  } finally {
    await client.close();
    await sim.close();
  }
}

/** What the quota-edge scenario measured (instants on Marketo's clock, epoch ms). */
interface QuotaEdge {
  budget: number;
  skewSeconds: number;
  resetLateSeconds: number;
  /** The service's budget ran out (its first refusal), before midnight. */
  budgetSpentAt: number | null;
  firstQuota607At: number | null;
  /** Marketo's reset: its Central midnight plus the late seconds. */
  marketoResetAt: number;
  firstCountedNewDayAt: number | null;
  quota607: number;
  wallMs: number;
}

/**
 * The daily quota across Central midnight: a `budget` of calls (ours and Marketo's alike) spent
 * twenty minutes before midnight, the service's clock `skewMs` ahead of Marketo's and Marketo's
 * reset `resetLateSeconds` late, the activities streams backfilling two months through the real
 * Quota (in Redis, under an instance name of its own, deleted afterwards) and the worker's retry
 * rule (a QUOTA_EXHAUSTED waits its `retryAfterMs`; Marketo's 607 is settled by the quota first).
 * Stops at the first call Marketo counts on its new day.
 */
async function quotaEdge(o: {
  budget: number;
  skewMs: number;
  resetLateSeconds: number;
  seed: number;
}): Promise<QuotaEdge> {
  const s = settings();
  const wallStart = performance.now();
  const startedAt = Date.parse('2026-03-10T04:40:00Z'); // 23:40 CDT on the service's clock
  const clock = virtualClock(startedAt);
  const sim = await startSimulator({
    seed: o.seed,
    leads: 200,
    activities: 12_000,
    start: '2026-01-01T00:00:00Z',
    end: '2026-03-01T00:00:00Z',
    now: new Date(startedAt).toISOString(),
    clock,
    clockSkewMs: -o.skewMs,
    limits: { ratePer20s: false, maxInFlight: false, dailyQuota: o.budget, resetLateSeconds: o.resetLateSeconds },
    quirks: { shortPageRate: 0, emptyPageRate: 0 },
    lateArrivalRate: 0,
    deletedLeadRate: 0,
  });
  const logger = createLogger({ level: 'silent' });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const instance = `bench-quota-${randomUUID()}`;
  const defaults = configSchema.shape;
  const quota: Quota = new Quota({
    redis,
    instance,
    dailyBudget: o.budget,
    recheckMs: (defaults.quotaRecheckMinutes.parse(undefined) as number) * MINUTE,
    resetMarginMs: (defaults.quotaResetMarginSeconds.parse(undefined) as number) * 1000,
    readUsage: (signal) => getDailyUsage(client, signal),
    clock,
    logger,
  });
  const client: MarketoClient = new MarketoClient({
    baseUrl: sim.url,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    quota,
    clock,
    logger,
  });
  const firstDay = zonedDate(sim.clock.now() - o.resetLateSeconds * 1000);
  const marketoResetAt = nextZonedMidnight(sim.clock.now() - o.resetLateSeconds * 1000) + o.resetLateSeconds * 1000;
  const newDayCountedAt = () =>
    Object.entries(sim.counts().firstCountedAt).find(([day]) => day > firstDay)?.[1] ?? null;
  let budgetSpentAt: number | null = null;
  let firstQuota607At: number | null = null;
  const giveUpAt = startedAt + 6 * HOUR;
  try {
    const { defs } = await activityStreamDefs(client, sim.instance, Date.parse('2026-01-01T00:00:00Z'), scheduleOf(s));
    const ctx = { clock, logger, signal: new AbortController().signal };
    const cursors = defs.map((d) => d.initialCursor(clock.now()));
    // One pass over the streams; resolves early (true) once Marketo counted a call of its new day.
    const pass = async () => {
      for (const [j, def] of defs.entries()) {
        if (!def.inPass(cursors[j])) cursors[j] = def.beginPass(cursors[j], clock.now());
        for (let done = false; !done; ) {
          const page = await def.fetchPage(cursors[j], ctx);
          cursors[j] = page.cursor;
          done = page.done;
          if (newDayCountedAt() !== null) return true;
        }
      }
      return false;
    };
    const settled = () =>
      pass().catch(async (err: unknown) => {
        if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) {
          if (err.marketoCode === '607') firstQuota607At ??= sim.clock.now();
          else budgetSpentAt ??= sim.clock.now();
        }
        return Promise.reject(await quota.afterQuotaReached(err));
      });
    while (newDayCountedAt() === null && clock.now() < giveUpAt) {
      const reached = await retry(settled, {
        baseDelayMs: 2_000,
        maxDelayMs: 60_000,
        clock,
        classify: retriableDecision,
      });
      if (!reached) await clock.sleep(s.intervalMs);
    }
    return {
      budget: o.budget,
      skewSeconds: o.skewMs / 1000,
      resetLateSeconds: o.resetLateSeconds,
      budgetSpentAt,
      firstQuota607At,
      marketoResetAt,
      firstCountedNewDayAt: newDayCountedAt(),
      quota607: sim.counts().total.quota607,
      wallMs: Math.round(performance.now() - wallStart),
    };
  } finally {
    await client.close();
    await sim.close();
    const keys = await redis.keys(`mkto:{${instance}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

/** The quota-edge figures for the JSON: instants as ISO strings, pauses in minutes. */
function quotaEdgeResult(q: QuotaEdge) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const minutes = (from: number | null) =>
    from === null || q.firstCountedNewDayAt === null ? null : Math.round((q.firstCountedNewDayAt - from) / 600) / 100;
  // Marketo's midnight on its own clock (before the late reset): the end of the budget's day.
  const budgetDayEnd = q.marketoResetAt - q.resetLateSeconds * 1000;
  return {
    pauseAfterQuotaSkewMinutes: minutes(q.firstQuota607At ?? budgetDayEnd),
    pauseAfterMarketoResetMinutes: minutes(q.marketoResetAt),
    quotaEdge: {
      budget: q.budget,
      serviceClockAheadSeconds: q.skewSeconds,
      resetLateSeconds: q.resetLateSeconds,
      budgetSpentAt: iso(q.budgetSpentAt),
      firstQuota607At: iso(q.firstQuota607At),
      marketoResetAt: iso(q.marketoResetAt),
      firstCountedNewDayAt: iso(q.firstCountedNewDayAt),
      quota607Answers: q.quota607,
      note: "instants on Marketo's clock; the pause runs from the first 607 (Marketo's midnight when there was none) to the first call Marketo counted on its new day",
    },
  };
}

const s = settings();
const perDay = Number(values['per-day']);
const edge = quotaEdgeResult(
  await quotaEdge({
    budget: 12,
    skewMs: Number(values['skew-seconds']) * 1000,
    resetLateSeconds: Number(values['reset-late-seconds']),
    seed: Number(values.seed),
  }),
);

/** The activities-day figures (a busy day and an idle one), with the quota-edge figures. */
async function activityDayResult() {
  const busy = await simulate({ hours: Number(values.hours), perDay, seed: Number(values.seed) });
  const idle = await simulate({ hours: Number(values['idle-hours']), perDay: 0, seed: Number(values.seed) });
  const perDayOf = (n: number, hours: number) => Math.round((n * 24) / hours);
  const pct = (caught: number, total: number) => (total === 0 ? null : Math.round((10_000 * caught) / total) / 100);
  const result = {
    settings: { ...s, perDay, lateRate: Number(values['late-rate']), lateMaxHours: Number(values['late-max-hours']) },
    hoursSimulated: busy.hours,
    callsPerDay: perDayOf(busy.calls, busy.hours),
    floorCallsPerDay: perDayOf(busy.floorCalls, busy.hours),
    ratioToFloor: Math.round((100 * busy.calls) / busy.floorCalls) / 100,
    pagingTokenCallsPerDay: perDayOf(busy.pagingTokenCalls, busy.hours),
    bulkCallsPerDay: perDayOf(busy.bulkCalls, busy.hours),
    exportMbPerDay: Math.round((100 * (busy.exportBytes * 24)) / busy.hours / 1_000_000) / 100,
    bulkJobs: busy.bulkJobs,
    activitiesPublished: busy.published,
    duplicatesRecognised: busy.duplicates,
    idleCallsPerStreamPass: Math.round((1000 * idle.calls) / (idle.passes * idle.streams)) / 1000,
    idleHoursSimulated: idle.hours,
    lateArrivals: busy.late.total,
    lateCaughtPct: pct(busy.late.caught, busy.late.total),
    lateCaughtPctByLateness: Object.fromEntries(
      Object.entries(busy.late.byLateness).map(([k, v]) => [k, { total: v.total, caughtPct: pct(v.caught, v.total) }]),
    ),
    deepLookbackHours: s.deepLookbackHours,
    // A window W re-read every E catches for certain what shows up to W − E late (once its re-read comes).
    lateCaughtForCertainMinutes: Math.max(
      0,
      s.lookbackMinutes - s.lookbackEveryMinutes,
      s.deepLookbackHours > 0 ? (s.deepLookbackHours - s.deepLookbackEveryHours) * 60 : 0,
    ),
    peakRememberedIds: busy.peakSeenIds,
    ...edge,
    wallSeconds: Math.round((busy.wallMs + idle.wallMs) / 100) / 10,
  };
  return result;
}

/** Prints the result and writes it to --json. */
function emit(result: object) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

emit(values['only-quota-edge'] ? edge : await activityDayResult());
