import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.ts';
import { expectTrackedActivitiesExactlyOnce, runUntilCaughtUp, testConfig, useSimulator } from '../support/pipeline.ts';

const startSimulator = useSimulator();

describe('faults during a backfill', () => {
  it('lose nothing and duplicate nothing: HTML 5xx, truncated JSON, time-outs, Marketo 6xx/7xx, a revoked token', async () => {
    const clock = new FakeClock('2026-04-01T00:00:00Z');
    const sim = await startSimulator({
      seed: 17,
      leads: 300,
      activities: 15_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-31T00:00:00Z',
      now: '2026-04-01T00:00:00Z',
      clock,
    });
    sim.injectFault({ kind: 'http5xx', endpoint: 'activities.json', rate: 0.08, status: 502 });
    sim.injectFault({ kind: 'truncated', endpoint: 'activities.json', rate: 0.08 });
    sim.injectFault({ kind: 'delay', endpoint: 'activities.json', calls: [4, 15], delayMs: 1_500 });
    sim.injectFault({ kind: 'error', endpoint: 'activities.json', rate: 0.05, code: '611' });
    sim.injectFault({ kind: 'error', endpoint: 'activities.json', calls: [9], code: '713' });
    sim.injectFault({ kind: 'revokeToken', endpoint: 'activities.json', calls: [12] });
    const config = testConfig(sim, { connection: { requestTimeoutMs: 500, streams: ['activities'] } });
    await runUntilCaughtUp(config, clock);

    const activityCalls = Object.entries(sim.counts().byEndpoint).find(([name]) =>
      name.includes('activities.json'),
    )?.[1];
    // The faults really happened: more requests reached Marketo than it counted.
    expect(activityCalls!.requests).toBeGreaterThan(activityCalls!.counted + 5);
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });
});
