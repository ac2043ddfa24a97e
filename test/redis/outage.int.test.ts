import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CursorStore } from '../../src/cursor/index.ts';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { ConnectionLease } from '../../src/lease/index.ts';
import { createLogger } from '../../src/log.ts';
import { Quota } from '../../src/quota/index.ts';
import { asRedisUnavailable, isRedisOutage } from '../../src/redis/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { freePort } from '../support/tcp-proxy.ts';

const logger = createLogger({ level: 'silent' });
const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** A client of a port nothing listens on, giving up on each command after one reconnect. */
async function unreachable(): Promise<Redis> {
  const redis = new Redis({
    port: await freePort(),
    host: '127.0.0.1',
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

const unavailable = { code: ErrorCodes.REDIS_UNAVAILABLE, retriable: true };

describe('Redis unreachable', () => {
  it('a quota reservation fails with a retriable REDIS_UNAVAILABLE, never a raw ioredis error', async () => {
    const quota = new Quota({
      redis: await unreachable(),
      instance: 'i',
      dailyBudget: 10,
      clock: new FakeClock(),
      logger,
    });
    await expect(quota.reserve('v1/leads')).rejects.toMatchObject(unavailable);
    await expect(quota.exhaust()).rejects.toMatchObject(unavailable);
    await expect(quota.status()).rejects.toMatchObject(unavailable);
  });

  it('the cursor store fails with a retriable REDIS_UNAVAILABLE', async () => {
    const store = new CursorStore({ redis: await unreachable(), logger });
    await expect(store.get('c', 's')).rejects.toMatchObject(unavailable);
    await expect(store.set('c', 's', { seq: 1, updatedAt: new Date().toISOString() })).rejects.toMatchObject(
      unavailable,
    );
    await expect(store.list('c')).rejects.toMatchObject(unavailable);
  });

  it("a worker's lease fails with a retriable REDIS_UNAVAILABLE (the worker retries it)", async () => {
    const lease = new ConnectionLease({ redis: await unreachable(), connection: 'c', logger });
    await expect(lease.acquire(new AbortController().signal)).rejects.toMatchObject(unavailable);
  });

  it('tells outages from other errors', () => {
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit (which is 5).'), {
      name: 'MaxRetriesPerRequestError',
    });
    expect(isRedisOutage(maxRetries)).toBe(true);
    expect(isRedisOutage(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisOutage(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisOutage(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisOutage(new Error('WRONGPASS invalid username-password pair'))).toBe(false);
    expect(isRedisOutage(new Error('ERR Error running script'))).toBe(false);
    const ours = new MarketoStreamError(ErrorCodes.CURSOR_INVALID, 'bad seq');
    expect(asRedisUnavailable(ours)).toBe(ours);
    const converted = asRedisUnavailable(maxRetries) as MarketoStreamError;
    expect(converted).toMatchObject(unavailable);
    expect(converted.message).toContain('max retries');
  });
});
