import { afterEach, describe, expect, it } from 'vitest';
import { runService } from '../../src/service.ts';
import { type Simulator, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { consumeAll, duplicatesOf, testConfig, testLogger, topicsOf } from '../support/pipeline.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('incremental pulls', () => {
  it('publish late arrivals inside the look-back window exactly once, across a restart', async () => {
    const clock = new FakeClock('2026-01-20T12:00:00Z');
    sim = await startSimulator({
      seed: 23,
      leads: 200,
      activities: 8_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-02-01T00:00:00Z',
      clock,
      now: '2026-01-20T12:00:00Z',
      lateArrivalRate: 0.03,
    });
    const config = testConfig(sim, { lookbackMinutes: 60 });
    const run = () =>
      runService({ config, logger: testLogger(), signal: new AbortController().signal, clock, untilCaughtUp: true });

    expect(Object.values(await run())[0]?.error).toBeUndefined();
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
    expect(Object.values(await run())[0]?.error).toBeUndefined();
    const got = await consumeAll(topicsOf(config).activities);
    const ids = got.map((r) => r.id);
    expect(ids.filter((id) => id === late)).toHaveLength(1);
    expect(duplicatesOf(ids)).toEqual([]);
    const truth = [
      ...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: config.connections[0]!.startDate }),
    ].map((a) => a.marketoGUID);
    expect(new Set(ids)).toEqual(new Set(truth));
    expect(got.length).toBeGreaterThan(backfilled.length);
  });
});
