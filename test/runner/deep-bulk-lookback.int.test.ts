import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN_CALLS = '/rest/v1/activities/pagingtoken.json';

describe('the deep look-back through Bulk Extract (issue #12.5)', () => {
  it('re-reads its 26-hour window with one export job per group: activities shown up to a day late are caught, nothing is published twice', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-01-20T12:00:00Z',
      world: {
        seed: 43,
        leads: 200,
        activities: 20_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-02-01T00:00:00Z',
        now: '2026-01-20T12:00:00Z',
        // Only the late arrivals injected below: the bulk job's processing time moves the clock,
        // and the world's own late arrivals shown meanwhile wait for the next look-back.
        lateArrivalRate: 0,
        limits: { ratePer20s: false, maxInFlight: false },
      },
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
});
