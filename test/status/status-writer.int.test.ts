import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionStatusWriter, connectionStatusKey, readConnectionStatus } from '../../src/status/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { testLogger, unique } from '../support/pipeline.ts';

const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('ConnectionStatusWriter', () => {
  it('writes the hash readConnectionStatus reads; since moves only with the state; stale fields go', async () => {
    const connection = unique('conn');
    const clock = new FakeClock();
    const writer = new ConnectionStatusWriter({ redis, connection, clock, logger: testLogger() });
    try {
      const t0 = clock.now();
      await writer.set('failed', { reason: 'Marketo error 603 "Access denied"', nextRetryAt: t0 + 900_000 });
      expect(await redis.type(connectionStatusKey(connection))).toBe('hash');
      expect(await readConnectionStatus(redis, connection)).toEqual({
        state: 'failed',
        reason: 'Marketo error 603 "Access denied"',
        since: new Date(t0).toISOString(),
        nextRetryAt: new Date(t0 + 900_000).toISOString(),
      });
      clock.advance(900_000);
      await writer.set('failed', { reason: 'Marketo error 603 "Access denied"', nextRetryAt: t0 + 1_800_000 });
      expect((await readConnectionStatus(redis, connection)).since).toBe(new Date(t0).toISOString());
      // Not awaited, in order: the last one wins.
      void writer.set('paused-quota', { reason: 'daily budget spent', nextRetryAt: t0 + 3_600_000 });
      await writer.set('running');
      expect(await readConnectionStatus(redis, connection)).toEqual({
        state: 'running',
        since: new Date(t0 + 900_000).toISOString(),
      });
    } finally {
      await redis.del(connectionStatusKey(connection));
    }
  });
});
