import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { ExportBudget } from '../../src/bulk/index.ts';
import type { Config } from '../../src/config/index.ts';
import { runService } from '../../src/service.ts';
import type { ActivitiesCursor } from '../../src/streams/activities.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce, testLogger } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

/** The activity groups' cursors as mirrored in Redis after each commit. */
async function mirroredCursors(config: Readonly<Config>): Promise<ActivitiesCursor[]> {
  const keys = await redis.keys(`mkto:{${config.connections[0]!.id}}:cursor:activities.*`);
  const jsons = await Promise.all(keys.map((k) => redis.hget(k, 'json')));
  return jsons.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as ActivitiesCursor);
}
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN_CALLS = '/rest/v1/activities/pagingtoken.json';

/**
 * A month of activities at the fake clock's day, with no late arrivals of the world's own (only
 * those a test injects: a bulk job's processing time moves the clock, and the world's own late
 * arrivals shown meanwhile would wait for the next look-back) and no rate limits.
 */
function monthWorld(seed: number) {
  return {
    seed,
    leads: 200,
    activities: 20_000,
    start: '2026-01-01T00:00:00Z',
    end: '2026-02-01T00:00:00Z',
    now: '2026-01-20T12:00:00Z',
    lateArrivalRate: 0,
    limits: { ratePer20s: false as const, maxInFlight: false as const },
  };
}

/**
 * A month of activities backfilled on the fake clock with the deep look-back through bulk, then one
 * activity dated 20 hours back that shows 2 hours from now: what a deep window must catch.
 */
async function backfilledWithLateActivity(seed: number) {
  const scenario = await startScenario({
    fakeClockAt: '2026-01-20T12:00:00Z',
    world: monthWorld(seed),
    config: { deepLookbackMethod: 'bulk', connection: { streams: ['activities'] } },
  });
  await scenario.runUntilCaughtUp();
  const now = scenario.clock!.now();
  const late = scenario.sim.injectLateActivity({
    leadId: 9,
    activityTypeId: TRACKED_TYPE_IDS[0]!,
    activityDate: now - 20 * HOUR,
    visibleAt: now + 2 * HOUR,
  });
  return { ...scenario, now, late };
}

describe('the deep look-back through Bulk Extract (issue #12.5)', () => {
  it('re-reads its 26-hour window with one export job per group: activities shown up to a day late are caught, nothing is published twice', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-01-20T12:00:00Z',
      world: monthWorld(43),
      config: {
        lookbackEveryMinutes: 60,
        deepLookbackMethod: 'bulk',
        connection: { streams: ['activities'] },
      },
    });
    await runUntilCaughtUp();
    const now = clock!.now();
    const late = [20, 6, 2].map((hours, n) =>
      sim.injectLateActivity({
        leadId: 9 + n,
        activityTypeId: TRACKED_TYPE_IDS[n]!,
        activityDate: now - hours * HOUR,
        visibleAt: now + 2 * HOUR,
      }),
    );
    clock!.advance(3 * HOUR);
    await runUntilCaughtUp(); // a regular look-back: an hour is too short for these
    expect((await consumeAll(topics.activities)).filter((r) => late.includes(r.id))).toHaveLength(0);
    expect(sim.bulk.jobs()).toHaveLength(0);

    // A day after the backfill: the deep look-back, through one export per group.
    clock!.set(now + 24 * HOUR);
    const tokenCalls = sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0;
    await runUntilCaughtUp();
    const jobs = sim.bulk.jobs();
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(jobs.map((j) => String(j.activityTypeIds))).size).toBe(jobs.length);
    for (const j of jobs) {
      expect(j.status).toBe('Completed');
      expect(Date.parse(j.window.endAt) - Date.parse(j.window.startAt)).toBeGreaterThanOrEqual(26 * HOUR);
    }
    // The tail of that pass continued from the held token: no fresh token was asked for.
    expect(sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0).toBe(tokenCalls);
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    for (const id of late) expect(got.filter((r) => r.id === id)).toHaveLength(1);
  });

  it('a worker stopped while the deep window job is in progress: the next one resumes the same job, no second export, every activity once', async () => {
    const { sim, clock, config, runUntilCaughtUp, now, late } = await backfilledWithLateActivity(47);
    // Status answers take a while, so the stop lands while a job is being polled.
    sim.injectFault({ kind: 'delay', endpoint: '/status.json', rate: 1, delayMs: 1_000 });
    clock!.set(now + 24 * HOUR);
    const stop = new AbortController();
    const running = runService({ config, logger: testLogger(), signal: stop.signal, clock, untilCaughtUp: true });
    let inFlight: string | undefined;
    await vi.waitFor(
      async () => {
        const job = (await mirroredCursors(config)).map((c) => c.deepBulk?.job).find((j) => j?.exportId && !j.done);
        expect(job).toBeDefined();
        inFlight = job!.exportId;
      },
      { timeout: 60_000, interval: 5 },
    );
    stop.abort();
    await running.catch(() => {});
    // Stopped mid-job: the checkpoint still holds the job, unfinished.
    const left = (await mirroredCursors(config)).map((c) => c.deepBulk?.job).find((j) => j?.exportId === inFlight);
    expect(left?.done).not.toBe(true);
    const jobsBefore = sim.bulk.jobs().length;

    sim.clearFaults();
    await runUntilCaughtUp();
    const jobs = sim.bulk.jobs();
    // One job per group's deep window: the stopped one was resumed, not created again.
    expect(jobs.length).toBeLessThanOrEqual(Math.max(jobsBefore, 2));
    expect(new Set(jobs.map((j) => `${j.activityTypeIds} ${j.window.startAt}`)).size).toBe(jobs.length);
    expect(jobs.map((j) => j.exportId)).toContain(inFlight);
    for (const j of jobs) expect(j.status).toBe('Completed');
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.filter((r) => r.id === late)).toHaveLength(1);
    for (const c of await mirroredCursors(config)) expect(c.deepBulk).toBeUndefined();
  });

  /**
   * A backfill, a late activity, then the deep pass a day later after `prepare` (given the
   * instance's export budget): the window must go through REST in that very pass.
   */
  async function deepPassThroughRest(seed: number, prepare: (budget: ExportBudget) => Promise<void>) {
    const { sim, clock, config, runUntilCaughtUp, now, late } = await backfilledWithLateActivity(seed);
    clock!.set(now + 24 * HOUR);
    const budget = new ExportBudget({
      redis,
      instance: config.connections[0]!.instance,
      dailyMb: config.bulk.dailyMb,
      reserveMb: config.bulk.reserveMb,
      maxJobs: config.bulk.maxJobs,
      clock: clock!,
      logger: testLogger(),
    });
    await prepare(budget);
    const tokenCalls = sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0;
    await runUntilCaughtUp();
    expect(sim.bulk.jobs()).toEqual([]);
    // REST re-read the window from a fresh token per group.
    expect(sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0).toBeGreaterThan(tokenCalls);
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.filter((r) => r.id === late)).toHaveLength(1);
    for (const c of await mirroredCursors(config)) expect(c.deepBulk).toBeUndefined();
  }

  it('with the export budget spent, the deep window is read through REST instead: the late activity still once, no export', async () => {
    // The customer's other exports spent the day's allocation.
    await deepPassThroughRest(53, (budget) => budget.exhaust());
  });

  it('with every job slot taken (a backfill holds them for hours), the deep window is read through REST at once, not parked', async () => {
    await deepPassThroughRest(59, async (budget) => {
      await budget.claim('other:backfill:1');
      await budget.claim('other:backfill:2');
    });
  });
});
