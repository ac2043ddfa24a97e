import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { injectStorm } from '../support/fault-storm.ts';
import { expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('a Marketo fault storm (10% of calls fault) through a whole backfill', () => {
  it('completes exactly once, within the quota and the pacing', { timeout: 240_000 }, async () => {
    const dailyQuota = 50_000;
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world: {
        seed: 1717,
        leads: 6_000,
        activities: 200_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-31T00:00:00Z',
        now: '2026-04-01T00:00:00Z',
      },
      config: { connection: { requestTimeoutMs: 400, dailyQuota, leadFields: ['email', 'updatedAt'] } },
    });
    const names = injectStorm((spec) => sim.injectFault(spec), 0.1, 900);
    await runUntilCaughtUp();

    const fired = sim.faultsFired();
    const byKind = Object.fromEntries(fired.map((f) => [names.get(f.id), f.fired]));
    const total = fired.reduce((n, f) => n + f.fired, 0);
    expect(total, JSON.stringify(byKind)).toBeGreaterThanOrEqual(40);
    // Most kinds really fired (each has ~0.7% of the calls).
    expect(fired.filter((f) => f.fired > 0).length, JSON.stringify(byKind)).toBeGreaterThanOrEqual(12);

    // Pacing: Marketo never refused a call of ours for rate or concurrency (injected ones aside).
    const counts = sim.counts();
    expect(counts.total.rateLimited606).toBe(0);
    expect(counts.total.concurrency615).toBe(0);
    expect(counts.total.quota607).toBe(0);
    // Quota: the service counted at least what Marketo counted, and stayed within its budget.
    const instance = config.connections[0]!.instance;
    for (const [date, counted] of Object.entries(counts.byDate)) {
      const used = Number(await redis.hget(`mkto:{${instance}}:quota:${date}`, 'used'));
      expect(used, date).toBeGreaterThanOrEqual(counted);
      expect(counted, date).toBeLessThanOrEqual(dailyQuota);
    }
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });
});
