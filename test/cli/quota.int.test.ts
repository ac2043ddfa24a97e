import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { localDate } from '../../src/quota/day.ts';
import { configFileEnv, runCliCaptured } from '../support/cli.ts';
import { runUntilCaughtUp, testConfig, unique } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('marketo-stream quota', () => {
  it("reconcile raises our count to Marketo's own, never lowers it; show reports the day", async () => {
    const now = Date.now();
    // The simulator's day must be ours: its clock runs from the real time.
    const sim = await startSimulator({
      seed: 81,
      leads: 60,
      activities: 600,
      start: new Date(now - 40 * 86_400_000).toISOString(),
      end: new Date(now - 86_400_000).toISOString(),
      now: new Date(now).toISOString(),
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const spent = testConfig(sim, {
      connection: { ratePer20s: 1000, startDate: new Date(now - 40 * 86_400_000).toISOString() },
    });
    await runUntilCaughtUp(spent);
    const date = localDate(Date.now(), 'America/Chicago');
    const marketoCount = () => sim.counts().byDate[date] ?? 0;
    expect(marketoCount()).toBeGreaterThan(5);

    // A second instance name on the same Marketo: ours counts nothing yet, Marketo counts the calls above.
    const fresh = testConfig(sim, { connection: { instance: unique('inst') } });
    const instance = fresh.connections[0]!.instance;
    const day = `mkto:{${instance}}:quota:${date}`;
    const env = configFileEnv(fresh);
    const raised = await runCliCaptured(['quota', 'reconcile', instance], env);
    expect(raised.stderr).toBe('');
    expect(raised.code).toBe(0);
    // Marketo counts the usage call itself, and so do we.
    expect(Number(await redis.hget(day, 'used'))).toBe(marketoCount());
    expect(JSON.parse(raised.stdout)).toMatchObject({
      instance,
      date,
      marketo: marketoCount(),
      before: 1,
      raised: true,
    });

    // Ours above Marketo's: left as it is (plus the call just made).
    await redis.hset(day, 'used', 10_000);
    const kept = await runCliCaptured(['quota', 'reconcile', instance], env);
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ before: 10_001, after: 10_001, raised: false });
    expect(await redis.hget(day, 'used')).toBe('10001');

    const shown = await runCliCaptured(['quota', 'show', instance, '--json'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      instance,
      date,
      used: 10_001,
      limit: 50_000,
      remaining: 50_000 - 10_001,
      byEndpoint: { 'v1/stats/usage': 2 },
    });
  });
});
