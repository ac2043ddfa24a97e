import { describe, expect, it } from 'vitest';
import { nextZonedMidnight, zonedDate } from '../../simulator/chicago.ts';
import { expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe('daily quota reset edge', () => {
  it('with a client clock 30 s ahead of Marketo and a late reset, the pause after the budget is minutes, not a day', async () => {
    const budget = 12;
    const startedAt = '2026-03-10T04:40:00Z'; // 23:40 CDT, twenty minutes before the reset
    const { sim, config, clock, runUntilCaughtUp } = await startScenario({
      fakeClockAt: startedAt,
      world: {
        seed: 5,
        leads: 200,
        activities: 12_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        now: startedAt,
        // Marketo's clock is 30 s behind ours, and its reset comes 45 s after its midnight.
        clockSkewMs: -30_000,
        limits: { dailyQuota: budget, resetLateSeconds: 45 },
        quirks: { shortPageRate: 0, emptyPageRate: 0 },
      },
      config: { connection: { dailyQuota: budget, streams: ['activities'] } },
    });
    expect(sim.clock.now() - clock!.now()).toBe(-30_000);
    await runUntilCaughtUp();

    const { byDate, firstCountedAt, total } = sim.counts();
    const days = Object.keys(byDate).sort();
    expect(days.length).toBeGreaterThanOrEqual(2); // the world needed more than a day's budget
    for (const day of days) expect(byDate[day]).toBeLessThanOrEqual(budget); // never over
    // Our clock reached midnight first: Marketo answered 607 (free) until its late reset.
    expect(total.quota607).toBeGreaterThan(0);
    // The first call Marketo counted on its next day came minutes after its reset, not a day later.
    const reset = nextZonedMidnight(firstCountedAt[days[0]!]!) + 45_000;
    expect(zonedDate(reset - 45_000)).toBe(days[1]);
    const pauseMs = firstCountedAt[days[1]!]! - reset;
    expect(pauseMs).toBeGreaterThanOrEqual(0);
    expect(pauseMs).toBeLessThan(5 * 60_000);

    await expectTrackedActivitiesExactlyOnce(sim, config);
  });
});
