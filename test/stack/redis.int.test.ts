import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './helpers.ts';

// The quota relies on one atomic Lua check-and-increment per call: prove EVAL works and that
// concurrent callers never overshoot.
describe('local Redis', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('runs a Lua script', async () => {
    expect(await redis.eval('return ARGV[1] .. KEYS[1]', 1, 'key', 'val-')).toBe('val-key');
  });

  it('increments atomically below a limit across concurrent callers', async () => {
    const key = uniqueName('stack:{test}:counter');
    const script = `
      local used = tonumber(redis.call('GET', KEYS[1]) or '0')
      if used >= tonumber(ARGV[1]) then return -1 end
      local now = redis.call('INCR', KEYS[1])
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
      return now`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => redis.eval(script, 1, key, '30', '60000') as Promise<number>),
    );
    expect(results.filter((r) => r === -1)).toHaveLength(20);
    expect(results.filter((r) => r > 0).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await redis.get(key)).toBe('30');
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await redis.del(key);
  });
});
