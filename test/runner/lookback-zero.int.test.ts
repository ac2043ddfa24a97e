import { describe, expect, it } from 'vitest';
import { consumeAll, duplicatesOf, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe('LOOKBACK_MINUTES=0 (issue #12.7)', () => {
  it('no incremental pass re-publishes what an earlier pass published (activities, deleted and merged leads)', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      world: {
        seed: 31,
        leads: 150,
        activities: 4_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-02-01T00:00:00Z',
        now: '2026-01-20T12:00:00Z',
        deletedLeadRate: 0.2,
      },
      fakeClockAt: '2026-01-20T12:00:00Z',
      config: { lookbackMinutes: 0, connection: { streams: ['activities', 'leads'] } },
    });
    await runUntilCaughtUp();
    const backfilled = await consumeAll(topics.activities);
    expect(backfilled.length).toBeGreaterThan(0);
    const tombstonesBefore = (await consumeAll(topics.leads)).filter((r) => r.value === null);
    expect(tombstonesBefore.length).toBeGreaterThan(0);
    // Three more passes, each by a fresh worker (its de-duplication memory comes from Kafka).
    for (let pass = 0; pass < 3; pass++) {
      clock!.advance(5 * 60_000);
      await runUntilCaughtUp();
    }
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.length).toBeGreaterThan(backfilled.length);
    const tombstones = (await consumeAll(topics.leads)).filter((r) => r.value === null);
    expect(duplicatesOf(tombstones.map((r) => r.id))).toEqual([]);
  });
});
