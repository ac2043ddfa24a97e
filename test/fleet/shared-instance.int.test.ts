import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { recordRedisId } from '../support/cleanup.ts';
import { consumeAll, topicsOf, unique } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe('connections on one instance', () => {
  it('two connections run by one process share the instance’s pacing window and in-flight slots', async () => {
    const rate = 6;
    const inFlight = 2;
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-03-01T00:00:00Z',
      world: {
        seed: 21,
        leads: 60,
        activities: 2_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        quirks: { shortPageRate: 0, emptyPageRate: 0 },
        // The simulated instance enforces about the limits the connections are configured with: two
        // connections sharing one budget stay inside them, two with a budget each would not. The
        // window has slack of 2: a call reaches the simulator a little after its slot was taken on
        // the shared fake clock, which another connection's pacing wait may have moved meanwhile.
        limits: { ratePer20s: rate + 2, maxInFlight: inFlight },
      },
      config: { connection: { ratePer20s: rate, maxInFlight: inFlight } },
    });
    const first = config.connections[0]!;
    const second = { ...first, id: unique('conn') };
    recordRedisId(second.id);
    const both = parseConfig({ ...config, connections: [first, second] });

    const result = await runUntilCaughtUp(both);
    expect(Object.keys(result).sort()).toEqual([first.id, second.id].sort());
    const total = sim.counts().total;
    expect(total.counted).toBeGreaterThan(2 * rate); // enough calls for the window to matter
    expect(total.rateLimited606).toBe(0);
    expect(total.concurrency615).toBe(0);

    // Both connections pulled everything: each tracked activity once per connection.
    const published = (await consumeAll(topicsOf(both).activities)).map((r) => r.id);
    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: first.startDate })];
    const times = new Map<string, number>();
    for (const id of published) times.set(id, (times.get(id) ?? 0) + 1);
    expect(times.size).toBe(truth.length);
    for (const a of truth) expect(times.get(a.marketoGUID), a.marketoGUID).toBe(2);
  });
});
