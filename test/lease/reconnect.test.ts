import { describe, expect, it } from 'vitest';
import { ErrorCodes, hasCode, MarketoStreamError } from '../../src/errors.ts';
import { reconnectWhileLeased } from '../../src/lease/reconnect.ts';

/** A lease whose `confirm` answers as told, and a publisher that records its connects, in call order. */
function rig(confirm: () => Promise<boolean>) {
  const calls: string[] = [];
  const lease = {
    confirm: async () => {
      calls.push('confirm');
      return confirm();
    },
  };
  const publisher = {
    connect: async () => {
      calls.push('connect');
    },
  };
  return { calls, lease, publisher };
}

describe('reconnectWhileLeased', () => {
  it('renews the lease, then connects the publisher', async () => {
    const t = rig(async () => true);
    await reconnectWhileLeased(t.lease, t.publisher);
    expect(t.calls).toEqual(['confirm', 'connect']);
  });

  it('leaves the publisher alone and rejects with FENCED when the lease is no longer ours', async () => {
    const t = rig(async () => false);
    const err = await reconnectWhileLeased(t.lease, t.publisher).catch((e: unknown) => e);
    expect(hasCode(err, ErrorCodes.FENCED)).toBe(true);
    expect(t.calls).toEqual(['confirm']);
  });

  it('does not connect when Redis cannot say who holds the lease', async () => {
    const unavailable = new MarketoStreamError(ErrorCodes.REDIS_UNAVAILABLE, 'redis down', { retriable: true });
    const t = rig(() => Promise.reject(unavailable));
    await expect(reconnectWhileLeased(t.lease, t.publisher)).rejects.toBe(unavailable);
    expect(t.calls).toEqual(['confirm']);
  });
});
