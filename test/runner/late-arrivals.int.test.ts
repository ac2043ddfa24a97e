import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import {
  consumeAll,
  expectTrackedActivitiesExactlyOnce,
  runUntilCaughtUp,
  testConfig,
  topicsOf,
  useSimulator,
} from '../support/pipeline.ts';

const startSimulator = useSimulator();

describe('incremental pulls', () => {
  it('publish late arrivals inside the look-back window exactly once, across a restart', async () => {
    const clock = new FakeClock('2026-01-20T12:00:00Z');
    const sim = await startSimulator({
      seed: 23,
      leads: 200,
      activities: 8_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-02-01T00:00:00Z',
      now: '2026-01-20T12:00:00Z',
      clock,
      lateArrivalRate: 0.03,
    });
    const config = testConfig(sim, { lookbackMinutes: 60, connection: { streams: ['activities'] } });
    await runUntilCaughtUp(config, clock);
    const backfilled = await consumeAll(topicsOf(config).activities);

    // An activity dated 20 minutes ago that Marketo only shows 10 minutes from now.
    const now = clock.now();
    const late = sim.injectLateActivity({
      leadId: 7,
      activityTypeId: TRACKED_TYPE_IDS[0]!,
      activityDate: now - 20 * 60_000,
      visibleAt: now + 10 * 60_000,
    });
    expect(backfilled.some((r) => r.id === late)).toBe(false);
    clock.advance(45 * 60_000);

    // A fresh worker: its de-duplication memory is rebuilt from Kafka.
    await runUntilCaughtUp(config, clock);
    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.filter((r) => r.id === late)).toHaveLength(1);
    expect(got.length).toBeGreaterThan(backfilled.length);
  });
});
