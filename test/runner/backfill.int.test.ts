import { describe, expect, it } from 'vitest';
import { expectTrackedActivitiesExactlyOnce, testRegistry } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe('activities backfill', () => {
  it('publishes exactly the tracked activities, each decodable', async () => {
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world: {
        seed: 11,
        leads: 300,
        activities: 15_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-31T00:00:00Z',
        now: '2026-04-01T00:00:00Z',
      },
    });
    const connection = config.connections[0]!;
    await runUntilCaughtUp();

    const got = await expectTrackedActivitiesExactlyOnce(sim, config);
    expect(got.length).toBeGreaterThan(5_000);
    const byGuid = new Map([...sim.truth.activities()].map((a) => [a.marketoGUID, a]));
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
      expect(record.headers).toEqual({
        ce_specversion: '1.0',
        ce_id: source.marketoGUID,
        ce_source: `/marketo/${connection.instance}`,
        ce_type: 'io.marketostream.activity',
        ce_time: new Date(source.activityDate).toISOString(),
        'content-type': 'application/avro',
        mkto_stream: expect.stringMatching(/^activities\.\d+(-\d+)*$/),
      });
    }
  });
});
