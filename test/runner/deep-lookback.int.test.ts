import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN_CALLS = '/rest/v1/activities/pagingtoken.json';

describe('the look-back schedule (issue #12.5)', () => {
  it('passes between look-backs continue from the held token; the deep look-back catches an activity shown 20 hours late, exactly once, by a fresh worker', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-01-20T12:00:00Z',
      world: {
        seed: 41,
        leads: 200,
        activities: 20_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-02-01T00:00:00Z',
        now: '2026-01-20T12:00:00Z',
        lateArrivalRate: 0.02,
        lateArrivalMaxMs: 30 * HOUR,
      },
      config: { lookbackEveryMinutes: 60, connection: { streams: ['activities'] } },
    });
    await runUntilCaughtUp();
    const backfilled = await consumeAll(topics.activities);
    const now = clock!.now();
    const late = sim.injectLateActivity({
      leadId: 9,
      activityTypeId: TRACKED_TYPE_IDS[0]!,
      activityDate: now - 20 * HOUR,
      visibleAt: now + 2 * HOUR,
    });
    expect(backfilled.some((r) => r.id === late)).toBe(false);

    // A pass 5 minutes on: the held tokens carry it, no pagingtoken.json call.
    const tokenCalls = sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0;
    clock!.advance(5 * MINUTE);
    await runUntilCaughtUp();
    expect(sim.counts().byEndpoint[TOKEN_CALLS]?.requests ?? 0).toBe(tokenCalls);

    // Three hours on (a regular look-back: an hour is too short for a 20-hour-late activity).
    clock!.advance(3 * HOUR);
    await runUntilCaughtUp();
    expect((await consumeAll(topics.activities)).some((r) => r.id === late)).toBe(false);

    // A day after the backfill the deep look-back re-reads 26 hours, by a fresh worker whose
    // de-duplication memory comes from Kafka: the late activity once, nothing else twice.
    clock!.set(now + 24 * HOUR);
    const deep = await runUntilCaughtUp();
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.filter((r) => r.id === late)).toHaveLength(1);
    expect(deep[config.connections[0]!.id]?.stats?.duplicates).toBeGreaterThan(0);
  });
});
