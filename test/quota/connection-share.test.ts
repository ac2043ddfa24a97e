import { describe, expect, it } from 'vitest';
import type { QuotaGate, QuotaReservation } from '../../src/marketo/types.ts';
import { ConnectionShare, Permits } from '../../src/quota/connection-share.ts';
import { USAGE_ENDPOINT } from '../../src/quota/quota.ts';

/** An instance quota that grants at once and records what it was asked. */
function recordingQuota(fail?: (endpoint: string) => Error | undefined) {
  const reserved: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const quota: QuotaGate = {
    reserve: async (endpoint) => {
      const err = fail?.(endpoint);
      if (err) throw err;
      reserved.push(endpoint);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return { date: '2026-11-30', release: async () => void inFlight-- } satisfies QuotaReservation;
    },
    exhaust: async () => ({ resetAt: 0, retryAfterMs: 0 }),
  };
  return { quota, reserved, inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('Permits', () => {
  it('hands out at most `count` and gives a released permit to the longest waiter', async () => {
    const permits = new Permits(2);
    const order: string[] = [];
    await permits.acquire();
    await permits.acquire();
    const third = permits.acquire().then(() => order.push('third'));
    const fourth = permits.acquire().then(() => order.push('fourth'));
    await settled();
    expect(order).toEqual([]);
    expect(permits.waiting).toBe(2);
    permits.release();
    await third;
    expect(order).toEqual(['third']);
    permits.release();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(permits.free).toBe(0);
    permits.release();
    permits.release();
    expect(permits.free).toBe(2);
  });

  it('a waiter whose signal aborts leaves the queue with the signal reason and takes no permit', async () => {
    const permits = new Permits(1);
    await permits.acquire();
    const stop = new AbortController();
    const waiting = permits.acquire(stop.signal);
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(permits.waiting).toBe(0);
    permits.release();
    expect(permits.free).toBe(1);
  });

  it('refuses a count below one', () => {
    expect(() => new Permits(0)).toThrow(RangeError);
  });
});

describe('ConnectionShare', () => {
  it("holds the connection's calls to its limit; the next call reserves when one is released", async () => {
    const q = recordingQuota();
    const share = new ConnectionShare(q.quota, 2);
    const a = await share.reserve('v1/activities');
    await share.reserve('v1/leads');
    let thirdGranted = false;
    const third = share.reserve('v1/programs').then((r) => {
      thirdGranted = true;
      return r;
    });
    await settled();
    expect(thirdGranted).toBe(false);
    expect(share.waiting).toBe(1);
    await a.release({ counted: true });
    await a.release({ counted: true }); // a second release gives no second permit
    const c = await third;
    expect(q.reserved).toEqual(['v1/activities', 'v1/leads', 'v1/programs']);
    expect(q.maxInFlight()).toBe(2);
    expect(c.date).toBe('2026-11-30');
  });

  it('gives the permit back when the instance quota refuses the call', async () => {
    const q = recordingQuota((e) => (e === 'v1/refused' ? new Error('budget spent') : undefined));
    const share = new ConnectionShare(q.quota, 1);
    await expect(share.reserve('v1/refused')).rejects.toThrow('budget spent');
    const r = await share.reserve('v1/activities');
    expect(q.reserved).toEqual(['v1/activities']);
    await r.release({ counted: true });
  });

  it("reads Marketo's own count without a permit, while the connection's calls hold them all", async () => {
    const q = recordingQuota();
    const share = new ConnectionShare(q.quota, 1);
    await share.reserve('v1/activities');
    // The quota makes this read from inside another call's reserve, which holds the only permit.
    const usage = await share.reserve(USAGE_ENDPOINT);
    expect(q.reserved).toEqual(['v1/activities', USAGE_ENDPOINT]);
    await usage.release({ counted: true });
  });
});
