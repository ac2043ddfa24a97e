import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionStatusKey, readConnectionStatus } from '../../src/status/index.ts';
import { unique } from '../support/pipeline.ts';

const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('readConnectionStatus', () => {
  it('reads the status hash, a JSON string too, and says unknown without a key or with a state it does not know', async () => {
    const [a, b, c, d] = [unique('conn'), unique('conn'), unique('conn'), unique('conn')];
    await redis.hset(connectionStatusKey(a), {
      state: 'failed',
      reason: 'Marketo 603: access denied',
      since: '2026-11-30T06:00:00Z',
      nextRetryAt: '2026-11-30T06:15:00Z',
    });
    await redis.set(connectionStatusKey(b), JSON.stringify({ state: 'paused', reason: 'daily quota spent' }));
    await redis.hset(connectionStatusKey(d), { state: 'exploded' });
    try {
      expect(await readConnectionStatus(redis, a)).toEqual({
        state: 'failed',
        reason: 'Marketo 603: access denied',
        since: '2026-11-30T06:00:00Z',
        nextRetryAt: '2026-11-30T06:15:00Z',
      });
      expect(await readConnectionStatus(redis, b)).toEqual({ state: 'paused', reason: 'daily quota spent' });
      expect(await readConnectionStatus(redis, c)).toEqual({ state: 'unknown' });
      expect(await readConnectionStatus(redis, d)).toEqual({ state: 'unknown' });
    } finally {
      await redis.del(connectionStatusKey(a), connectionStatusKey(b), connectionStatusKey(d));
    }
  });
});
