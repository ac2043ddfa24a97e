import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextZonedMidnight, zonedDate } from '../../simulator/chicago.ts';
import { expectTrackedActivitiesExactlyOnce, unique, workerEnv } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const startScenario = useScenario();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('daily quota', () => {
  it('spends exactly the budget each Central day, pauses, and resumes at Central midnight', async () => {
    const budget = 12;
    const startedAt = '2026-03-07T15:00:00Z'; // the day before the DST change in Chicago
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: startedAt,
      world: {
        seed: 3,
        leads: 200,
        activities: 20_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        now: startedAt,
        quirks: { shortPageRate: 0, emptyPageRate: 0 },
      },
      config: { connection: { dailyQuota: budget, streams: ['activities'] } },
    });
    await runUntilCaughtUp();

    const { byDate, firstCountedAt } = sim.counts();
    const days = Object.keys(byDate).sort();
    const total = Object.values(byDate).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2 * budget); // the world needed about three days' budget
    for (const day of days.slice(0, -1)) expect(byDate[day]).toBe(budget); // every full day: exactly B, never B+1
    expect(byDate[days.at(-1)!]).toBeLessThanOrEqual(budget);
    expect(days[0]).toBe(zonedDate(Date.parse(startedAt)));
    // Each later day's first call comes at its Central midnight (DST included), not later.
    for (let i = 1; i < days.length; i++) {
      const midnight = nextZonedMidnight(firstCountedAt[days[i - 1]!]!);
      expect(zonedDate(midnight)).toBe(days[i]);
      expect(firstCountedAt[days[i]!]! - midnight, `first call of ${days[i]}`).toBeGreaterThanOrEqual(0);
      expect(firstCountedAt[days[i]!]! - midnight, `first call of ${days[i]}`).toBeLessThan(60_000);
    }

    await expectTrackedActivitiesExactlyOnce(sim, config);
  });

  it('is shared by four worker processes on one instance: together they never pass it', async () => {
    const budget = 30;
    const instance = unique('shared');
    const connection = { instance, dailyQuota: budget, ratePer20s: 100 };
    const { sim, config, configWith } = await startScenario({
      world: {
        seed: 9,
        leads: 300,
        activities: 30_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-06-30T00:00:00Z',
        now: '2026-07-01T00:00:00Z',
        limits: { ratePer20s: false, maxInFlight: false },
      },
      config: { connection },
    });
    for (const worker of [config, configWith({ connection }), configWith({ connection }), configWith({ connection })]) {
      const child = spawn(process.execPath, [MAIN], { env: workerEnv(worker), stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
    }
    await vi.waitFor(() => expect(sim.counts().total.counted).toBe(budget), { timeout: 90_000, interval: 200 });
    // Every worker has paused on the spent budget: none gets another call through while we watch.
    const watchUntil = Date.now() + 4_000;
    while (Date.now() < watchUntil) {
      expect(sim.counts().total.counted).toBe(budget);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(children.every((c) => c.exitCode === null)).toBe(true); // paused, not crashed
    expect(sim.counts().total.quota607).toBe(0);
  });
});
