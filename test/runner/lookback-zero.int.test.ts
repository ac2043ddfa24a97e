import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.ts';
import {
  consumeAll,
  duplicatesOf,
  expectTrackedActivitiesExactlyOnce,
  runUntilCaughtUp,
  testConfig,
  topicsOf,
  useSimulator,
} from '../support/pipeline.ts';

const startSimulator = useSimulator();

describe('LOOKBACK_MINUTES=0 (issue #12.7)', () => {
  it('no incremental pass re-publishes what an earlier pass published (activities, deleted and merged leads)', async () => {
    const clock = new FakeClock('2026-01-20T12:00:00Z');
    const sim = await startSimulator({
      seed: 31,
      leads: 150,
      activities: 4_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-02-01T00:00:00Z',
      now: '2026-01-20T12:00:00Z',
      clock,
      deletedLeadRate: 0.2,
    });
    const config = testConfig(sim, { lookbackMinutes: 0, connection: { streams: ['activities', 'leads'] } });
    await runUntilCaughtUp(config, clock);
    const backfilled = await consumeAll(topicsOf(config).activities);
    expect(backfilled.length).toBeGreaterThan(0);
    const tombstonesBefore = (await consumeAll(topicsOf(config).leads)).filter((r) => r.value === null);
    expect(tombstonesBefore.length).toBeGreaterThan(0);
    // Three more passes, each by a fresh worker (its de-duplication memory comes from Kafka).
    for (let pass = 0; pass < 3; pass++) {
      clock.advance(5 * 60_000);
      await runUntilCaughtUp(config, clock);
    }
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.length).toBeGreaterThan(backfilled.length);
    const tombstones = (await consumeAll(topicsOf(config).leads)).filter((r) => r.value === null);
    expect(duplicatesOf(tombstones.map((r) => r.id))).toEqual([]);
  });
});
