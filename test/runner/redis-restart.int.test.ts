import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { zonedDate } from '../../simulator/chicago.ts';
import { quotaKeys } from '../../src/quota/keys.ts';
import { expectTrackedActivitiesExactlyOnce } from '../support/pipeline.ts';
import { type OwnRedisServer, startOwnRedisServer } from '../support/redis-server.ts';
import { useScenario } from '../support/scenario.ts';
import { freePort } from '../support/tcp-proxy.ts';

const startScenario = useScenario();

/** The seq of every cursor the Redis mirror holds for `connection`, by key. */
async function cursorSeqs(redis: Redis, connection: string): Promise<Map<string, number>> {
  const keys = await redis.keys(`mkto:{${connection}}:cursor:*`);
  return new Map(
    await Promise.all(keys.map(async (k): Promise<[string, number]> => [k, Number(await redis.hget(k, 'seq'))])),
  );
}
let server: OwnRedisServer | undefined;
afterEach(async () => {
  await server?.kill();
  server = undefined;
});

describe('Redis restarted with its data gone', () => {
  it("cursors come back from Kafka's checkpoints and the day's count from Marketo's: no call over the budget", async () => {
    server = await startOwnRedisServer(await freePort());
    const startedAt = '2026-03-10T15:00:00Z'; // 10:00 CDT: both runs fall on one quota day
    const { sim, config, clock, configWith, runUntilCaughtUp } = await startScenario({
      fakeClockAt: startedAt,
      world: {
        seed: 17,
        leads: 150,
        activities: 6_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-20T00:00:00Z',
        now: startedAt,
        // Late arrivals past the look-back are #12.5's to catch; this test is about Redis.
        lateArrivalRate: 0,
        quirks: { shortPageRate: 0, emptyPageRate: 0 },
      },
      config: { redis: { url: server.url }, connection: { streams: ['activities'] } },
    });
    const c = config.connections[0]!;
    const day = zonedDate(Date.parse(startedAt));
    const redis = new Redis(server.url);
    try {
      await runUntilCaughtUp();
      const firstRun = sim.counts().byDate[day]!;
      expect(Number(await redis.hget(quotaKeys(c.instance, day).day, 'used'))).toBe(firstRun);
      const cursorsBefore = await cursorSeqs(redis, c.id);
      expect(cursorsBefore.size).toBeGreaterThan(0);

      redis.disconnect();
      await server.kill();
      await server.start(); // empty
      await redis.connect();
      expect(await redis.dbsize()).toBe(0);

      // Six hours later on the same day, with room for only a few more calls: a counter restarted
      // from zero would spend a whole budget more.
      clock!.advance(6 * 3600_000);
      const budget = firstRun + 4;
      const second = configWith({
        kafka: config.kafka,
        redis: { url: server.url },
        connection: { id: c.id, instance: c.instance, streams: ['activities'], dailyQuota: budget },
      });
      await runUntilCaughtUp(second);

      const { byDate } = sim.counts();
      expect(byDate[day]).toBe(budget); // the day's budget reached, never passed
      // The rebuilt counter is Marketo's count, not what this process alone spent since the restart.
      expect(Number(await redis.hget(quotaKeys(c.instance, day).day, 'used'))).toBe(byDate[day]);
      // Each stream went on from its checkpoint (a later seq), not from the start date again.
      const cursorsAfter = await cursorSeqs(redis, c.id);
      expect([...cursorsAfter.keys()].sort()).toEqual([...cursorsBefore.keys()].sort());
      for (const [key, seq] of cursorsBefore) expect(cursorsAfter.get(key)).toBeGreaterThan(seq);
      // The budget ran out in the middle of the run, so one activity group's pass ended before the
      // pause and the other's after it: one more run brings both to the same instant.
      await runUntilCaughtUp(
        configWith({
          kafka: config.kafka,
          redis: { url: server.url },
          connection: { id: c.id, instance: c.instance, streams: ['activities'] },
        }),
      );
      await expectTrackedActivitiesExactlyOnce(sim, config);
    } finally {
      redis.disconnect();
    }
  });
});
