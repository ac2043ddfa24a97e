import { describe, expect, it, vi } from 'vitest';
import { runService } from '../../src/service.ts';
import { expectTrackedActivitiesExactlyOnce, testLogger } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const startScenario = useScenario();

describe('Redis unreachable for a while', () => {
  it('makes no Marketo call without a quota reservation while Redis is away, and resumes by itself', async () => {
    const target = new URL(process.env.REDIS_URL!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    try {
      const { sim, config } = await startScenario({
        world: {
          seed: 23,
          leads: 200,
          activities: 20_000,
          start: '2026-01-01T00:00:00Z',
          end: '2026-06-01T00:00:00Z',
          // Slow enough answers that the backfill is still running when Redis goes away.
          latency: { medianMs: 40 },
          limits: { ratePer20s: false, maxInFlight: false },
        },
        config: { redis: { url: `redis://127.0.0.1:${proxy.port}` }, connection: { ratePer20s: 1000 } },
      });
      const done = runService({
        config,
        logger: testLogger(),
        signal: new AbortController().signal,
        untilCaughtUp: true,
      });
      await vi.waitFor(() => expect(sim.counts().total.counted).toBeGreaterThan(20), { timeout: 60_000, interval: 50 });

      await proxy.down();
      // Calls reserved before the outage may still be answered; nothing after them may start.
      await new Promise((r) => setTimeout(r, 1_000));
      const requestsWhenDown = sim.counts().total.requests;
      // Long enough for ioredis to give up on queued commands (maxRetriesPerRequest) more than once.
      const watchUntil = Date.now() + 15_000;
      while (Date.now() < watchUntil) {
        expect(sim.counts().total.requests).toBe(requestsWhenDown);
        await new Promise((r) => setTimeout(r, 200));
      }

      await proxy.up();
      await vi.waitFor(() => expect(sim.counts().total.requests).toBeGreaterThan(requestsWhenDown), {
        timeout: 30_000,
        interval: 100,
      });
      const results = await done;
      for (const r of Object.values(results)) expect(r.error).toBeUndefined();
      await expectTrackedActivitiesExactlyOnce(sim, config);
    } finally {
      await proxy.down();
    }
  });
});
