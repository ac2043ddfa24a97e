import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { ErrorCodes, hasCode } from '../../src/errors.ts';
import { runService } from '../../src/service.ts';
import { readConnectionStatus } from '../../src/status/index.ts';
import { recordRedisId } from '../support/cleanup.ts';
import { consumeAll, testLogger, unique } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

const world = {
  seed: 23,
  leads: 100,
  activities: 2_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-01-31T00:00:00Z',
  now: '2026-02-01T00:00:00Z',
};

describe('activity types an instance lacks', () => {
  it('a default type the instance lacks is skipped; the connection runs and pulls the others', async () => {
    const { config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-02-01T00:00:00Z',
      world: { ...world, missingActivityTypes: ['Dialogue Goal Reached', 'Send Sales Email'] },
      config: { connection: { streams: ['activities'] } },
    });
    await runUntilCaughtUp();
    const c = config.connections[0]!;
    expect(await readConnectionStatus(redis, c.id)).toMatchObject({ state: 'stopped' });
    const published = await consumeAll(topics.activities);
    expect(published.length).toBeGreaterThan(0);
  });

  it('a configured type the instance lacks fails that connection (named, with the closest names, status failed); the other runs', async () => {
    const { config } = await startScenario({
      fakeClockAt: '2026-02-01T00:00:00Z',
      world,
      config: { connection: { streams: ['activities'] } },
    });
    const good = config.connections[0]!;
    const bad = {
      ...good,
      id: unique('conn'),
      activityTypes: ['Fill Out Form', 'Send Sales Emial'],
      activityTypesDefaulted: false,
    };
    recordRedisId(bad.id);
    const both: Readonly<Config> = { ...config, connections: [good, bad] };
    const result = await runService({
      config: both,
      logger: testLogger(),
      signal: new AbortController().signal,
      untilCaughtUp: true,
    });
    expect(result[good.id]!.error).toBeUndefined();
    const err = result[bad.id]!.error;
    expect(hasCode(err, ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE)).toBe(true);
    expect(err!.message).toMatch(/Send Sales Emial \(closest: Send Sales Email/);
    const status = await readConnectionStatus(redis, bad.id);
    expect(status.state).toBe('failed');
    expect(status.reason).toContain('Send Sales Emial');
    expect(await readConnectionStatus(redis, good.id)).toMatchObject({ state: 'stopped' });
  });
});
