import { describe, expect, it } from 'vitest';
import { expectTrackedActivitiesExactlyOnce, unique } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

/** Marketo's per-instance limits, which the simulator enforces and the service is configured to. */
const RATE_PER_20S = 100;
const MAX_IN_FLIGHT = 10;

describe('pacing', () => {
  it("two connections on one instance, at Marketo's full rate, never get a 606 or 615 from a limiting Marketo with real latency", async () => {
    const instance = unique('paced');
    const connection = {
      instance,
      ratePer20s: RATE_PER_20S,
      maxInFlight: MAX_IN_FLIGHT,
      streams: ['activities' as const],
    };
    const { sim, config, configWith, runUntilCaughtUp } = await startScenario({
      // Real time on both sides: a virtual clock jumps while a call travels, which no network does.
      world: {
        seed: 12,
        leads: 300,
        activities: 23_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-31T00:00:00Z',
        now: '2026-04-01T00:00:00Z',
        limits: { ratePer20s: RATE_PER_20S, maxInFlight: MAX_IN_FLIGHT },
        latency: { medianMs: 15, p99Ms: 120 },
        // Many short and empty pages: many calls for few records, so the run stays short.
        quirks: { emptyPageRate: 0.5, shortPageRate: 0.4 },
      },
      config: { connection },
    });
    const second = configWith({ connection });
    await Promise.all([runUntilCaughtUp(config), runUntilCaughtUp(second)]);

    const counts = sim.counts().total;
    expect(counts.counted).toBeGreaterThan(300);
    expect(counts.rateLimited606).toBe(0);
    expect(counts.concurrency615).toBe(0);
    await expectTrackedActivitiesExactlyOnce(sim, config);
    await expectTrackedActivitiesExactlyOnce(sim, second);
  });
});
