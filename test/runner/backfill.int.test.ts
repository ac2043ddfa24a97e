import { afterEach, describe, expect, it } from 'vitest';
import { runService } from '../../src/service.ts';
import { type Simulator, startSimulator, TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { consumeAll, duplicatesOf, testConfig, testLogger, testRegistry, topicsOf } from '../support/pipeline.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('activities backfill', () => {
  it('publishes exactly the tracked activities, each decodable, without a 606 or 615 from a limiting Marketo', async () => {
    // Virtual time shared by the service and the simulator: pacing waits cost no real time.
    const clock = new FakeClock('2026-04-01T00:00:00Z');
    sim = await startSimulator({
      seed: 11,
      leads: 300,
      activities: 15_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-31T00:00:00Z',
      clock,
      now: '2026-04-01T00:00:00Z',
      limits: { ratePer20s: 100, maxInFlight: 10 },
    });
    const config = testConfig(sim);
    const connection = config.connections[0]!;
    const result = await runService({
      config,
      logger: testLogger(),
      signal: new AbortController().signal,
      clock,
      untilCaughtUp: true,
    });
    expect(result[connection.id]?.error).toBeUndefined();

    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: connection.startDate })];
    expect(truth.length).toBeGreaterThan(5_000);
    const got = await consumeAll(topicsOf(config).activities);
    expect(duplicatesOf(got.map((r) => r.id))).toEqual([]);
    expect(new Set(got.map((r) => r.id))).toEqual(new Set(truth.map((a) => a.marketoGUID)));

    const byGuid = new Map(truth.map((a) => [a.marketoGUID, a]));
    const registry = testRegistry();
    for (const record of got) {
      const value = (await registry.decode(record.value!)) as {
        marketoGUID: string;
        leadId: number;
        activityTypeId: number;
      };
      const source = byGuid.get(value.marketoGUID)!;
      expect(value.marketoGUID).toBe(record.id);
      expect(value.leadId).toBe(source.leadId);
      expect(value.activityTypeId).toBe(source.activityTypeId);
      expect(record.key).toBe(`${connection.instance}:${source.leadId}`);
    }

    const counts = sim.counts().total;
    expect(counts.rateLimited606).toBe(0);
    expect(counts.concurrency615).toBe(0);
  });
});
