import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConnectionLease } from '../../src/lease/index.ts';
import { cleanUpAfterFile, recordRedisId } from '../support/cleanup.ts';
import { testLogger, unique } from '../support/pipeline.ts';

const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());
cleanUpAfterFile();
const logger = testLogger();

describe('ConnectionLease', () => {
  it('lets one worker hold a connection at a time, and hands it over on release', async () => {
    const connection = unique('lease');
    recordRedisId(connection);
    const first = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    const second = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    const run = new AbortController();
    expect(await first.acquire(run.signal)).toBe(true);
    let secondHolds = false;
    const waiting = second.acquire(run.signal).then((ok) => {
      secondHolds = ok;
    });
    // Watch the lease's remaining time: each time it goes back up, the first holder renewed it.
    // Three renewals outlast its lifetime several times over, and the second worker must not get it.
    let renewals = 0;
    let lastTtl = Number.POSITIVE_INFINITY;
    await vi.waitFor(
      async () => {
        const ttl = await redis.pttl(first.key);
        if (ttl > lastTtl) renewals++;
        lastTtl = ttl;
        expect(secondHolds).toBe(false);
        expect(renewals).toBeGreaterThanOrEqual(3);
      },
      { timeout: 5_000, interval: 20 },
    );
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
    recordRedisId(connection);
    const lease = new ConnectionLease({ redis, connection, logger, ttlMs: 300 });
    expect(await lease.acquire(new AbortController().signal)).toBe(true);
    await redis.set(lease.key, 'someone-else');
    await vi.waitFor(() => expect(lease.lost.aborted).toBe(true), { timeout: 3_000, interval: 50 });
    await lease.release();
    expect(await redis.get(lease.key)).toBe('someone-else'); // release never drops another holder's lease
  });

  it('confirm renews a lease still held and refuses one another worker took, without waiting for the timer', async () => {
    const connection = unique('lease');
    recordRedisId(connection);
    const lease = new ConnectionLease({ redis, connection, logger, ttlMs: 60_000 });
    expect(await lease.acquire(new AbortController().signal)).toBe(true);
    await redis.pexpire(lease.key, 1_000);
    expect(await lease.confirm()).toBe(true);
    expect(await redis.pttl(lease.key)).toBeGreaterThan(30_000);
    await redis.set(lease.key, 'someone-else');
    expect(await lease.confirm()).toBe(false);
    expect(lease.lost.aborted).toBe(true);
    expect(await redis.get(lease.key)).toBe('someone-else');
    await lease.release();
  });
});
