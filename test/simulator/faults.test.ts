import { describe, expect, it } from 'vitest';
import { nextZonedMidnight } from '../../simulator/chicago.ts';
import { latencyOf } from '../../simulator/faults.ts';
import { simClient } from '../../simulator/helpers.ts';
import type { SimulatorOptions } from '../../simulator/index.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const small: SimulatorOptions = {
  seed: 4,
  leads: 50,
  activities: 2000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  now: '2026-01-20T12:00:00Z',
  clock: 'frozen',
  quirks: { shortPageRate: 0, emptyPageRate: 0 },
};

const ACTIVITIES = '/rest/v1/activities.json?activityTypeIds=1,6,7,9,10,11,12,13&nextPageToken=';

describe('latency profile', () => {
  it('is fixed without a p99, and log-normal around the median with about 1% above the p99 with one', () => {
    expect(latencyOf({ medianMs: 25 }, 1, 7)).toBe(25);
    const samples = Array.from({ length: 20_000 }, (_, n) => latencyOf({ medianMs: 20, p99Ms: 200 }, 9, n));
    samples.sort((a, b) => a - b);
    expect(samples[10_000]).toBeGreaterThanOrEqual(18);
    expect(samples[10_000]).toBeLessThanOrEqual(22);
    const above = samples.filter((s) => s > 200).length / samples.length;
    expect(above).toBeGreaterThan(0.005);
    expect(above).toBeLessThan(0.015);
    expect(latencyOf({ medianMs: 20, p99Ms: 200 }, 9, 123)).toBe(latencyOf({ medianMs: 20, p99Ms: 200 }, 9, 123));
  });

  it('holds each answer, after the call was counted', async () => {
    const sim = await startSimulator({ ...small, latency: { medianMs: 400 } });
    const c = simClient(sim);
    await c.token();
    const started = performance.now();
    const answer = c.get('/rest/v1/activities/types.json');
    // Counted on arrival, well before the answer is let go.
    await expect.poll(() => sim.counts().total.counted, { timeout: 200, interval: 5 }).toBe(1);
    expect((await answer).json.success).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(395);
  });
});

describe('fault report and malformed records', () => {
  it('alters the first record of a page and reports which rule fired where', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    const token = (await c.get(`/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-01-05T00:00:00Z`)).json
      .nextPageToken as string;
    const clean = (await c.get(ACTIVITIES + token)).json;
    const malformed = sim.injectFault({ kind: 'malformed', endpoint: 'activities.json', calls: [1], field: 'leadId' });
    const never = sim.injectFault({ kind: 'http5xx', endpoint: 'leads.json', calls: [1] });
    const broken = (await c.get(ACTIVITIES + token)).json;
    expect(broken.result[0]).toEqual({ ...clean.result[0], leadId: null });
    expect(broken.result.slice(1)).toEqual(clean.result.slice(1));
    expect(broken.nextPageToken).toBe(clean.nextPageToken);
    expect(sim.faultsFired()).toEqual([
      { id: malformed, kind: 'malformed', fired: 1, byPath: { '/rest/v1/activities.json': 1 } },
      { id: never, kind: 'http5xx', fired: 0, byPath: {} },
    ]);
  });
});

describe('first counted call of each day', () => {
  it('is recorded per Central date', async () => {
    const sim = await startSimulator({ ...small, now: '2026-01-20T05:59:50Z' }); // 23:59:50 in Chicago
    const c = simClient(sim);
    await c.get('/rest/v1/activities/types.json');
    const midnight = nextZonedMidnight(sim.clock.now());
    sim.clock.set(midnight + 1_500);
    await c.get('/rest/v1/activities/types.json');
    await c.get('/rest/v1/activities/types.json');
    expect(sim.counts().firstCountedAt).toEqual({
      '2026-01-19': Date.parse('2026-01-20T05:59:50Z'),
      '2026-01-20': midnight + 1_500,
    });
  });
});
