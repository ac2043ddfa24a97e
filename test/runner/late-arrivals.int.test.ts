import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe('incremental pulls', () => {
  it('publish late arrivals inside the look-back window exactly once, across a restart', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-01-20T12:00:00Z',
      world: {
        seed: 23,
        leads: 200,
        activities: 8_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-02-01T00:00:00Z',
        now: '2026-01-20T12:00:00Z',
        lateArrivalRate: 0.03,
      },
      // The regular look-back is due at every pass 30 minutes or more after the last one.
      config: { lookbackMinutes: 60, lookbackEveryMinutes: 30, connection: { streams: ['activities'] } },
    });
    await runUntilCaughtUp();
    const backfilled = await consumeAll(topics.activities);

    // An activity dated 10 minutes before the newest one published, that Marketo only shows 10
    // minutes from now.
    const now = clock!.now();
    const newestPublished = Math.max(...backfilled.map((r) => Date.parse(r.headers.ce_time!)));
    const lateDate = newestPublished - 10 * 60_000;
    const late = sim.injectLateActivity({
      leadId: 7,
      activityTypeId: TRACKED_TYPE_IDS[0]!,
      activityDate: lateDate,
      visibleAt: now + 10 * 60_000,
    });
    expect(backfilled.some((r) => r.id === late)).toBe(false);
    // Older than the newest activity already published: a stream reading only forward from what it
    // has seen would never fetch it; only the look-back does.
    expect(lateDate).toBeLessThan(newestPublished);
    expect(lateDate).toBeGreaterThan(now - 60 * 60_000); // and inside the look-back window
    clock!.advance(45 * 60_000);

    // A fresh worker: its de-duplication memory is rebuilt from Kafka.
    const second = await runUntilCaughtUp();
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.filter((r) => r.id === late)).toHaveLength(1);
    expect(got.length).toBeGreaterThan(backfilled.length);
    // The look-back re-read what the backfill had published, and recognised it.
    expect(second[config.connections[0]!.id]?.stats?.duplicates).toBeGreaterThan(0);
  });
});
