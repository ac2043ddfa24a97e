import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConnectionLease } from '../../src/lease/index.ts';
import { testLogger, unique } from '../support/pipeline.ts';

const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());
const logger = testLogger();

describe('ConnectionLease', () => {
  it('lets one worker hold a connection at a time, and hands it over on release', async () => {
    const connection = unique('lease');
    const first = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    const second = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    const run = new AbortController();
    expect(await first.acquire(run.signal)).toBe(true);
    let secondHolds = false;
    const waiting = second.acquire(run.signal).then((ok) => {
      secondHolds = ok;
    });
    await new Promise((r) => setTimeout(r, 1_000)); // three lease lifetimes: renewals keep it with the first
    expect(secondHolds).toBe(false);
    expect(await redis.get(first.key)).toBe(first.holderId);
    await first.release();
    await waiting;
    expect(secondHolds).toBe(true);
    expect(await redis.get(second.key)).toBe(second.holderId);
    await second.release();
    expect(await redis.exists(second.key)).toBe(0);
  });

  it('signals the holder when the lease is taken from it', async () => {
    const connection = unique('lease');
    const lease = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    expect(await lease.acquire(new AbortController().signal)).toBe(true);
    await redis.set(lease.key, 'someone-else');
    await vi.waitFor(() => expect(lease.lost.aborted).toBe(true), { timeout: 3_000, interval: 50 });
    await lease.release();
    expect(await redis.get(lease.key)).toBe('someone-else'); // release never drops another holder's lease
  });
});
