import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, hasCode, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { quotaKeys } from '../../src/quota/keys.ts';
import { Quota, type QuotaOptions, type Reservation, USAGE_ENDPOINT } from '../../src/quota/quota.ts';
import { FakeClock } from '../support/fake-clock.ts';

const logger = createLogger({ level: 'silent' });
const connections: Redis[] = [];
const instances: string[] = [];

function redis(): Redis {
  const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  connections.push(r);
  return r;
}

function instance(): string {
  const name = `test-${randomUUID().slice(0, 8)}`;
  instances.push(name);
  return name;
}

function quota(options: Partial<QuotaOptions> & { instance: string; clock: FakeClock }): Quota {
  return new Quota({ redis: redis(), dailyBudget: 1000, logger, ...options });
}

let admin: Redis;
beforeAll(() => {
  admin = redis();
});

afterAll(async () => {
  for (const name of instances) {
    const keys = await admin.keys(`mkto:{${name}}:*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  for (const r of connections) r.disconnect();
});

describe('Quota (real Redis)', () => {
  it('four processes racing never overspend the budget: exactly 100 of 4 × 50 succeed', async () => {
    const name = instance();
    const clock = new FakeClock('2026-01-15T12:00:00Z');
    const quotas = Array.from({ length: 4 }, () =>
      quota({ instance: name, clock, dailyBudget: 100, ratePer20s: 10_000, maxInFlight: 10_000 }),
    );
    const attempts = quotas.flatMap((q) => Array.from({ length: 50 }, () => q.reserve('v1/activities')));
    const results = await Promise.allSettled(attempts);
    const ok = results.filter((r): r is PromiseFulfilledResult<Reservation> => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(100);
    expect(failed).toHaveLength(100);
    for (const f of failed) expect(hasCode(f.reason, ErrorCodes.QUOTA_EXHAUSTED)).toBe(true);
    await Promise.all(ok.map((r) => r.value.release({ counted: true })));

    const status = await quotas[0]!.status();
    expect(status).toMatchObject({ date: '2026-01-15', used: 100, limit: 100, remaining: 0, exhausted: false });
    expect(status.byEndpoint).toEqual({ 'v1/activities': 100 });
    expect(status.inFlight.calls).toBe(0);
    expect(await admin.hget(quotaKeys(name, '2026-01-15').day, 'used')).toBe('100');
  });

  it('the budget-spent error is retriable and says how long until Central midnight', async () => {
    const name = instance();
    const clock = new FakeClock('2026-01-15T12:00:00Z'); // 06:00 CST
    const q = quota({ instance: name, clock, dailyBudget: 1 });
    await (await q.reserve('v1/leads')).release({ counted: true });
    const err = await q.reserve('v1/leads').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketoStreamError);
    expect(err).toMatchObject({ code: ErrorCodes.QUOTA_EXHAUSTED, retriable: true, retryAfterMs: 18 * 3600_000 });

    // Just before midnight Central it is still spent; at midnight a new day starts.
    clock.set('2026-01-16T05:59:59.999Z');
    await expect(q.reserve('v1/leads')).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXHAUSTED, retryAfterMs: 1 });
    clock.set('2026-01-16T06:00:00Z');
    const r = await q.reserve('v1/leads');
    expect(r.date).toBe('2026-01-16');
    await r.release({ counted: true });
    expect(await admin.hget(quotaKeys(name, '2026-01-15').day, 'used')).toBe('1');
    expect(await admin.hget(quotaKeys(name, '2026-01-16').day, 'used')).toBe('1');
  });

  it('the day hash expires after two days and records limit and reset time', async () => {
    const name = instance();
    const clock = new FakeClock('2026-03-08T12:00:00Z'); // spring-forward day: resets at 05:00Z on Mar 9
    const q = quota({ instance: name, clock, dailyBudget: 10 });
    await (await q.reserve('v1/activities')).release({ counted: true });
    const key = quotaKeys(name, '2026-03-08').day;
    const ttl = await admin.ttl(key);
    expect(ttl).toBeGreaterThan(2 * 86_400 - 10);
    expect(ttl).toBeLessThanOrEqual(2 * 86_400);
    expect(await admin.hgetall(key)).toMatchObject({
      used: '1',
      limit: '10',
      resetAt: String(Date.parse('2026-03-09T05:00:00Z')),
    });
    expect((await q.status()).resetsAt).toBe('2026-03-09T05:00:00.000Z');
  });

  it('a call Marketo did not count gives its unit back; 606/607/615 are counted for operators', async () => {
    const name = instance();
    const clock = new FakeClock();
    const q = quota({ instance: name, clock, dailyBudget: 2 });
    await (await q.reserve('v1/leads')).release({ counted: false, marketoCode: '606' });
    await (await q.reserve('v1/leads')).release({ counted: false, marketoCode: '615' });
    await (await q.reserve('v1/leads')).release({ counted: true });
    const r = await q.reserve('v1/activities');
    await r.release({ counted: true, marketoCode: '1003' });
    await r.release({ counted: false }); // a second release is a no-op
    const status = await q.status();
    expect(status).toMatchObject({ used: 2, remaining: 0, errors: { '606': 1, '607': 0, '615': 1 } });
    expect(status.byEndpoint).toEqual({ 'v1/leads': 1, 'v1/activities': 1 });
  });

  it('exhaust() (a 607) pauses every process for the recheck interval, then one probe call goes; its success ends the pause', async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-15T12:00:00Z'); // 07:00 CDT
    const a = quota({ instance: name, clock, dailyBudget: 50_000 });
    const b = quota({ instance: name, clock, dailyBudget: 50_000 });
    const first = await a.reserve('v1/leads');
    expect(await a.exhaust(first.date)).toEqual({
      resetAt: Date.parse('2026-07-15T12:15:00Z'),
      retryAfterMs: 15 * 60_000,
    });
    await first.release({ counted: false, marketoCode: '607' });
    await expect(b.reserve('v1/leads')).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXHAUSTED,
      retriable: true,
      retryAfterMs: 15 * 60_000,
    });
    expect(await b.status()).toMatchObject({
      exhausted: true,
      recheckAt: '2026-07-15T12:15:00.000Z',
      remaining: 0,
      used: 0,
      errors: { '607': 1 },
    });
    clock.set('2026-07-15T12:15:00Z');
    const probe = await b.reserve('v1/leads');
    // While the probe is out, the others wait for its answer.
    await expect(a.reserve('v1/leads')).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXHAUSTED });
    await probe.release({ counted: true });
    expect(await a.status()).toMatchObject({ exhausted: false, used: 1 });
    await expect(a.reserve('v1/leads')).resolves.toMatchObject({ date: '2026-07-15' });
  });

  it('a 607 just before or after midnight pauses until midnight plus the margin, not a day', async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-16T04:59:00Z'); // 23:59 CDT
    const q = quota({ instance: name, clock });
    const late = await q.reserve('v1/leads');
    expect(late.date).toBe('2026-07-15');
    // Its 607 comes back after midnight: it marks the day it was reserved on, not the new one.
    clock.set('2026-07-16T05:00:05Z');
    expect(await q.exhaust(late.date)).toEqual({ resetAt: clock.now(), retryAfterMs: 0 });
    await late.release({ counted: false, marketoCode: '607' });
    const next = await q.reserve('v1/leads');
    expect(next.date).toBe('2026-07-16');
    // Our clock is ahead of Marketo's: the first call of the new day gets 607 too.
    expect(await q.exhaust(next.date)).toEqual({ resetAt: Date.parse('2026-07-16T05:02:00Z'), retryAfterMs: 115_000 });
    await next.release({ counted: false, marketoCode: '607' });
    expect((await q.status()).exhausted).toBe(true);
    await expect(q.reserve('v1/leads')).rejects.toMatchObject({ retryAfterMs: 115_000 });
    // A 607 a minute before midnight re-checks at 00:02, not 15 min later.
    const other = quota({ instance: instance(), clock: new FakeClock('2026-07-16T04:59:00Z') });
    expect((await other.exhaust()).resetAt).toBe(Date.parse('2026-07-16T05:02:00Z'));
  });

  it("takes a day's count from Marketo (readUsage) before its first other call, once across processes", async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-15T12:00:00Z');
    let reads = 0;
    const quotas: Quota[] = [];
    const readUsage = async (signal?: AbortSignal) => {
      reads += 1;
      // As the client does: the read is itself reserved, and Marketo's figure includes it.
      const r = await quotas[0]!.reserve(USAGE_ENDPOINT, signal);
      await r.release({ counted: true });
      return [{ date: '2026-07-15', total: 700, users: [] }];
    };
    for (let i = 0; i < 3; i++) quotas.push(quota({ instance: name, clock, dailyBudget: 1000, readUsage }));
    const granted = await Promise.all(quotas.map((q) => q.reserve('v1/activities')));
    await Promise.all(granted.map((r) => r.release({ counted: true })));
    expect(reads).toBe(1);
    expect((await quotas[1]!.status()).used).toBe(703);
    const day = await admin.hgetall(quotaKeys(name, '2026-07-15').day);
    expect(Number(day.syncedAt)).toBeGreaterThanOrEqual(Date.parse('2026-07-15T12:00:00Z'));
    expect(day.syncClaim).toBeUndefined();
  });

  it("after Marketo's 607, afterQuotaReached reads Marketo's count and pauses until the reset when our budget is gone", async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-15T12:00:00Z'); // 07:00 CDT
    let total = 0;
    const q: Quota = quota({
      instance: name,
      clock,
      dailyBudget: 1000,
      readUsage: async () => {
        const r = await q.reserve(USAGE_ENDPOINT);
        await r.release({ counted: true });
        return [{ date: '2026-07-15', total, users: [] }];
      },
    });
    await (await q.reserve('v1/leads')).release({ counted: true });
    const reserved = await q.reserve('v1/leads');
    const pause = await q.exhaust(reserved.date);
    await reserved.release({ counted: false, marketoCode: '607' });
    const the607 = new MarketoStreamError(ErrorCodes.QUOTA_EXHAUSTED, '607', {
      retriable: true,
      marketoCode: '607',
      retryAfterMs: pause.retryAfterMs,
    });
    // Other integrations spent the instance's quota: Marketo counts 1200 of our 1000.
    total = 1200;
    const settled = await q.afterQuotaReached(the607);
    expect(settled).toMatchObject({ code: ErrorCodes.QUOTA_EXHAUSTED, retriable: true, retryAfterMs: 17 * 3600_000 });
    expect((await q.status()).used).toBe(1200);
    // Not a 607: returned as it is.
    const other = new Error('other');
    expect(await q.afterQuotaReached(other)).toBe(other);
  });

  it("a failed read of Marketo's count after a 607 keeps the probe pause", async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-15T12:00:00Z');
    const q = quota({
      instance: name,
      clock,
      readUsage: async () => {
        throw new MarketoStreamError(ErrorCodes.QUOTA_EXHAUSTED, 'usage refused', {
          retriable: true,
          marketoCode: '607',
        });
      },
    });
    await q.exhaust();
    const settled = await q.afterQuotaReached(
      new MarketoStreamError(ErrorCodes.QUOTA_EXHAUSTED, '607', { retriable: true, marketoCode: '607' }),
    );
    expect(settled).toMatchObject({ retryAfterMs: 15 * 60_000 });
  });

  it('never lets more than ratePer20s calls into any 20 s window, across processes', async () => {
    const name = instance();
    const clock = new FakeClock();
    const start = clock.now();
    const quotas = Array.from({ length: 4 }, () => quota({ instance: name, clock, ratePer20s: 5 }));
    const times: number[] = [];
    await Promise.all(
      quotas.flatMap((q) =>
        Array.from({ length: 5 }, async () => {
          const r = await q.reserve('v1/activities');
          // The admission instant, not clock.now(): the fake clock may jump while the reply travels.
          times.push(r.grantedAt);
          await r.release({ counted: true });
        }),
      ),
    );
    expect(times).toHaveLength(20);
    times.sort((x, y) => x - y);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 20_000).length).toBeLessThanOrEqual(5);
    // 20 calls at 5 per window need at least three waits of 20 s, and pacing should not waste more.
    expect(times.at(-1)! - start).toBeGreaterThanOrEqual(60_000);
    expect(times.at(-1)! - start).toBeLessThan(80_000);
  });

  it("judges a caller with a stale clock at the window's newest call, so it cannot slip into a past window", async () => {
    const name = instance();
    const behind = new FakeClock('2026-01-15T12:00:00Z', { autoAdvance: false });
    const ahead = new FakeClock('2026-01-15T12:00:20Z', { autoAdvance: false });
    const slow = quota({ instance: name, clock: behind, ratePer20s: 5 });
    const fast = quota({ instance: name, clock: ahead, ratePer20s: 5 });
    const granted: number[] = [];
    const take = async (q: Quota) => {
      const r = await q.reserve('v1/activities');
      granted.push(r.grantedAt);
      await r.release({ counted: true });
    };
    for (let i = 0; i < 5; i++) await take(slow); // five calls at 12:00:00
    await take(fast); // 12:00:20: the five have left the window
    await take(slow); // a reading from 12:00:00, taken after the one above
    expect(granted.at(-1)).toBe(ahead.now());
    for (const t of granted) expect(granted.filter((u) => u >= t && u < t + 20_000).length).toBeLessThanOrEqual(5);
  });

  it('keeps a slow call in the window until 20 s after its answer, when Marketo may have counted it', async () => {
    const name = instance();
    const clock = new FakeClock('2026-01-15T12:00:00Z', { autoAdvance: false });
    const q = quota({ instance: name, clock, ratePer20s: 2 });
    const start = clock.now();
    const slow = await q.reserve('v1/activities');
    const quick = await q.reserve('v1/activities');
    await quick.release({ counted: true });
    clock.advance(5_000); // the slow call's answer comes 5 s later: Marketo may have counted it then
    await slow.release({ counted: true });
    clock.set(start + 20_001);
    const third = await q.reserve('v1/activities'); // the quick call has left the window
    expect(third.grantedAt).toBe(start + 20_001);
    await third.release({ counted: true });
    const waiting = q.reserve('v1/activities');
    // The slow call still fills the window: the fourth call goes to sleep (polled, not timed).
    await vi.waitFor(() => expect(clock.sleeps.length).toBeGreaterThan(0));
    clock.set(start + 25_000);
    expect((await waiting).grantedAt).toBeGreaterThanOrEqual(start + 25_000);
  });

  it('keeps a call in the window while it is in flight, however long after its reservation', async () => {
    const name = instance();
    const clock = new FakeClock('2026-01-15T12:00:00Z', { autoAdvance: false });
    const q = quota({ instance: name, clock, ratePer20s: 2, slotTtlMs: 120_000 });
    const start = clock.now();
    const slow = await q.reserve('v1/activities'); // still waiting for its answer 30 s later
    await (await q.reserve('v1/activities')).release({ counted: true });
    clock.set(start + 25_000);
    // The quick call has left the window; the slow one has not: it may reach Marketo any moment.
    const third = await q.reserve('v1/activities');
    expect(third.grantedAt).toBe(start + 25_000);
    await third.release({ counted: true });
    // Full: the third and the slow call still in flight (it may reach Marketo any moment).
    const fourth = q.reserve('v1/activities');
    await vi.waitFor(() => expect(clock.sleeps.length).toBeGreaterThan(0));
    clock.set(start + 30_000);
    await slow.release({ counted: true }); // answered at +30 s: it stays in the window until +50 s
    clock.set(start + 45_001); // the third has left: room for one
    expect((await fourth).grantedAt).toBeGreaterThanOrEqual(start + 45_001);
    const fifth = q.reserve('v1/activities');
    await vi.waitFor(() => expect(clock.sleeps.length).toBeGreaterThan(1));
    clock.set(start + 50_001);
    expect((await fifth).grantedAt).toBeGreaterThanOrEqual(start + 50_001);
  });

  it('never has more than maxInFlight calls in flight, across processes', async () => {
    const name = instance();
    const clock = new FakeClock();
    const quotas = Array.from({ length: 4 }, () => quota({ instance: name, clock, ratePer20s: 1000, maxInFlight: 3 }));
    let inFlight = 0;
    let maxSeen = 0;
    await Promise.all(
      quotas.flatMap((q) =>
        Array.from({ length: 4 }, async () => {
          const r = await q.reserve('v1/leads');
          inFlight += 1;
          maxSeen = Math.max(maxSeen, inFlight);
          await clock.sleep(1_000);
          inFlight -= 1;
          await r.release({ counted: true });
        }),
      ),
    );
    expect(maxSeen).toBe(3);
    expect((await quotas[0]!.status()).used).toBe(16);
  });

  it("a crashed holder's slot is freed after the slot TTL", async () => {
    const name = instance();
    const clock = new FakeClock();
    const crashed = quota({ instance: name, clock, maxInFlight: 1, slotTtlMs: 60_000 });
    const survivor = quota({ instance: name, clock, maxInFlight: 1, slotTtlMs: 60_000 });
    await crashed.reserve('v1/leads'); // never released
    const start = clock.now();
    const r = await survivor.reserve('v1/leads');
    expect(r.grantedAt - start).toBeGreaterThanOrEqual(60_000);
    expect(r.grantedAt - start).toBeLessThan(61_000);
    await r.release({ counted: true });
  });

  it('a waiting reserve() stops when its signal aborts', async () => {
    const name = instance();
    const clock = new FakeClock(Date.parse('2026-01-15T12:00:00Z'), { autoAdvance: false });
    const q = quota({ instance: name, clock, maxInFlight: 1 });
    const held = await q.reserve('v1/leads');
    const controller = new AbortController();
    const waiting = q.reserve('v1/leads', controller.signal);
    await vi.waitFor(() => expect(clock.sleeps.length).toBeGreaterThan(0)); // it is waiting for the slot
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await held.release({ counted: true });
    expect((await q.status()).used).toBe(1);
  });
});
