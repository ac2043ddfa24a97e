import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { localDate } from '../../src/quota/day.ts';
import { FakeClock } from '../support/fake-clock.ts';
import {
  expectTrackedActivitiesExactlyOnce,
  runUntilCaughtUp,
  testConfig,
  unique,
  useSimulator,
  workerEnv,
} from '../support/pipeline.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const startSimulator = useSimulator();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.length = 0;
});

describe('daily quota', () => {
  it('spends exactly the budget each Central day, pauses, and finishes after the resets', async () => {
    const budget = 12;
    const clock = new FakeClock('2026-03-07T15:00:00Z'); // the day before the DST change in Chicago
    const sim = await startSimulator({
      seed: 3,
      leads: 200,
      activities: 20_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      now: '2026-03-07T15:00:00Z',
      clock,
      quirks: { shortPageRate: 0, emptyPageRate: 0 },
    });
    const config = testConfig(sim, { connection: { dailyQuota: budget, streams: ['activities'] } });
    await runUntilCaughtUp(config, clock);

    const byDate = sim.counts().byDate;
    const days = Object.keys(byDate).sort();
    const total = Object.values(byDate).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2 * budget); // the world needed about three days' budget
    for (const day of days.slice(0, -1)) expect(byDate[day]).toBe(budget); // every full day: exactly B, never B+1
    expect(byDate[days.at(-1)!]).toBeLessThanOrEqual(budget);
    expect(days[0]).toBe(localDate(Date.parse('2026-03-07T15:00:00Z'), 'America/Chicago'));

    await expectTrackedActivitiesExactlyOnce(sim, config);
  });

  it('is shared by four worker processes on one instance: together they never pass it', async () => {
    const budget = 30;
    const sim = await startSimulator({
      seed: 9,
      leads: 300,
      activities: 30_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-06-30T00:00:00Z',
      now: '2026-07-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const instance = unique('shared');
    for (let i = 0; i < 4; i++) {
      const config = testConfig(sim, { connection: { instance, dailyQuota: budget, ratePer20s: 100 } });
      const child = spawn(process.execPath, [MAIN], { env: workerEnv(config), stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
    }
    // Wait until the count stops moving: every worker has paused on the spent budget.
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const counted = sim.counts().total.counted;
      if (counted !== last) {
        last = counted;
        stableSince = Date.now();
      } else if (counted > 0 && Date.now() - stableSince > 4_000) break;
    }
    expect(children.every((c) => c.exitCode === null)).toBe(true); // paused, not crashed
    expect(sim.counts().total.counted).toBe(budget);
    expect(sim.counts().total.quota607).toBe(0);
  });
});
