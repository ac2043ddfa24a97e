import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { consumeAll, duplicatesOf, expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

const world = {
  seed: 17,
  leads: 300,
  activities: 15_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-03-31T00:00:00Z',
  now: '2026-04-01T00:00:00Z',
};

describe('faults during a backfill', () => {
  it('lose nothing and duplicate nothing: HTML 5xx, truncated JSON, time-outs, Marketo 6xx/7xx, a revoked token', async () => {
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world,
      // Every stream: the faults hit lead, asset and describe calls as well as activities.
      config: { connection: { requestTimeoutMs: 500, leadFields: ['email', 'updatedAt'] } },
    });
    const injected = [
      sim.injectFault({ kind: 'http5xx', endpoint: '/rest/', rate: 0.08, status: 502 }),
      sim.injectFault({ kind: 'truncated', endpoint: '/rest/', rate: 0.08 }),
      sim.injectFault({ kind: 'delay', endpoint: 'activities.json', calls: [4, 15], delayMs: 1_500 }),
      sim.injectFault({ kind: 'error', endpoint: '/rest/', rate: 0.05, code: '611' }),
      sim.injectFault({ kind: 'error', endpoint: 'activities.json', calls: [9], code: '713' }),
      sim.injectFault({ kind: 'revokeToken', endpoint: 'activities.json', calls: [12] }),
      sim.injectFault({ kind: 'http5xx', endpoint: '/rest/v1/leads', calls: [1], status: 503 }),
      sim.injectFault({ kind: 'error', endpoint: 'programs.json', calls: [1], code: '604' }),
      sim.injectFault({ kind: 'truncated', endpoint: 'smartCampaigns.json', calls: [1] }),
    ];
    await runUntilCaughtUp();

    // Every injected fault really fired, and not only on the activities endpoint.
    const fired = sim.faultsFired();
    expect(fired.map((f) => f.id).sort()).toEqual([...injected].sort());
    for (const f of fired) expect(f.fired, `fault ${f.id} (${f.kind})`).toBeGreaterThan(0);
    const faultedPaths = new Set(fired.flatMap((f) => Object.keys(f.byPath)));
    expect([...faultedPaths].filter((p) => !p.includes('activities')).length).toBeGreaterThanOrEqual(3);

    // The service's count of the day's calls (Redis) is what Marketo counted, day by day.
    const instance = config.connections[0]!.instance;
    const byDate = sim.counts().byDate;
    expect(Object.keys(byDate).length).toBeGreaterThan(0);
    for (const [date, counted] of Object.entries(byDate)) {
      expect(Number(await redis.hget(`mkto:{${instance}}:quota:${date}`, 'used')), date).toBe(counted);
    }
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });

  it('send a malformed Marketo record to the dead-letter topic with its reason, and publish the rest of its page', async () => {
    const { sim, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world: { ...world, quirks: { shortPageRate: 0, emptyPageRate: 0 } },
      config: { connection: { streams: ['activities'] } },
    });
    // The third activities page arrives with its first record's leadId null.
    sim.injectFault({ kind: 'malformed', endpoint: 'activities.json', calls: [3], field: 'leadId', value: null });
    await runUntilCaughtUp();

    const dead = await consumeAll(topics.dlq);
    expect(dead).toHaveLength(1);
    const letter = JSON.parse(dead[0]!.value!.toString()) as {
      reason: string;
      raw: { marketoGUID: string; leadId: unknown };
    };
    expect(letter.raw.leadId).toBeNull();
    expect(letter.reason).not.toBe('');
    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: config.connections[0]!.startDate })];
    const guids = new Set(truth.map((a) => a.marketoGUID));
    expect(guids.has(letter.raw.marketoGUID)).toBe(true);

    // Everything else, the rest of that page included, is published once.
    const ids = (await consumeAll(topics.activities)).map((r) => r.id);
    expect(duplicatesOf(ids)).toEqual([]);
    guids.delete(letter.raw.marketoGUID);
    expect(new Set(ids)).toEqual(guids);
  });
});
