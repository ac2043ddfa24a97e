import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTES_PER_MB, ExportBudget, type ExportBudgetOptions } from '../../src/bulk/index.ts';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { FakeClock } from '../support/fake-clock.ts';

const logger = createLogger({ level: 'silent' });
const MB = BYTES_PER_MB;
const connections: Redis[] = [];
const instances: string[] = [];

function redis(): Redis {
  const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  connections.push(r);
  return r;
}

function instance(): string {
  const name = `test-bulkbudget-${randomUUID().slice(0, 8)}`;
  instances.push(name);
  return name;
}

/** One worker's view of the budget (its own Redis connection). */
function budget(options: Partial<ExportBudgetOptions> & { instance: string; clock: FakeClock }): ExportBudget {
  return new ExportBudget({ redis: redis(), dailyMb: 500, reserveMb: 50, maxJobs: 10, logger, ...options });
}

async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'granted';
  } catch (err) {
    if (err instanceof MarketoStreamError && err.code === ErrorCodes.BULK_WAIT) return `wait ${err.retryAfterMs}`;
    throw err;
  }
}

afterAll(async () => {
  const admin = redis();
  for (const name of instances) {
    const keys = await admin.keys(`mkto:{${name}}:*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  for (const r of connections) r.disconnect();
});

describe('ExportBudget (real Redis)', () => {
  it('workers racing for job slots never take more than maxJobs; a restarted job takes back its own', async () => {
    const name = instance();
    const clock = new FakeClock('2026-03-02T18:00:00Z');
    const workers = Array.from({ length: 4 }, () => budget({ instance: name, clock, maxJobs: 3 }));
    const results = await Promise.all(
      workers.flatMap((w, i) => Array.from({ length: 5 }, (_, j) => outcome(w.claim(`conn-${i}:window-${j}`)))),
    );
    expect(results.filter((r) => r === 'granted')).toHaveLength(3);
    expect(results.filter((r) => r === 'wait 60000')).toHaveLength(17);
    const holders = results.flatMap((r, k) => (r === 'granted' ? [`conn-${Math.floor(k / 5)}:window-${k % 5}`] : []));
    // The holder of a slot (a worker restarted on the same job) is granted again; others still wait.
    expect(await outcome(workers[3]!.claim(holders[0]!))).toBe('granted');
    expect(await outcome(workers[3]!.claim('someone-else'))).toBe('wait 60000');
    await workers[0]!.release(holders[0]!);
    expect(await outcome(workers[3]!.claim('someone-else'))).toBe('granted');
    expect((await workers[1]!.status()).jobs).toEqual({ inFlight: 3, limit: 3 });
  });

  it('meters completed jobs by fileSize once per export, stops at limit − reserve, resets at Central midnight', async () => {
    const name = instance();
    // 17:00 in Chicago (CST) on 2 March.
    const clock = new FakeClock('2026-03-02T23:00:00Z');
    const a = budget({ instance: name, clock, dailyMb: 100, reserveMb: 10 });
    const b = budget({ instance: name, clock, dailyMb: 100, reserveMb: 10 });
    await a.claim('g1:jan', 40 * MB);
    await b.claim('g2:jan', 40 * MB);
    // 80 MB expected in flight: a third job of 20 MB would not fit in 90.
    expect(await outcome(a.claim('g3:jan', 20 * MB))).toBe(`wait ${7 * 3600_000}`);
    await a.complete('g1:jan', 'export-1', 30 * MB);
    await a.complete('g1:jan', 'export-1', 30 * MB); // a restart settling the same job again
    await b.complete('g2:jan', 'export-2', 45 * MB);
    expect(await a.status()).toMatchObject({
      date: '2026-03-02',
      usedMb: 75,
      limitMb: 100,
      reserveMb: 10,
      remainingMb: 15,
      exhausted: false,
      jobs: { inFlight: 0, limit: 10 },
      resetsAt: '2026-03-03T06:00:00.000Z',
    });
    await a.claim('g3:jan', 10 * MB);
    await a.complete('g3:jan', 'export-3', 16 * MB);
    // 91 MB used: over limit − reserve, so nothing more today, whatever the estimate.
    expect(await outcome(b.claim('g4:jan'))).toBe(`wait ${7 * 3600_000}`);

    const day = `mkto:{${name}}:bulk:2026-03-02`;
    const admin = redis();
    expect(await admin.hget(day, 'usedBytes')).toBe(String(91 * MB));
    expect(await admin.hget(day, 'job:export-1')).toBe(String(30 * MB));
    expect(await admin.ttl(day)).toBeGreaterThan(86_400);

    clock.set('2026-03-03T05:59:59Z'); // 23:59:59 in Chicago
    expect(await outcome(b.claim('g4:jan'))).toBe('wait 1000');
    clock.set('2026-03-03T06:00:00Z'); // midnight in Chicago: a new export day
    expect(await outcome(b.claim('g4:jan'))).toBe('granted');
    expect((await b.status()).date).toBe('2026-03-03');
  });

  it('a 1029 from Marketo (the customer’s other exports spent the quota) stops every worker until midnight', async () => {
    const name = instance();
    const clock = new FakeClock('2026-07-01T12:00:00Z'); // 07:00 in Chicago (CDT)
    const a = budget({ instance: name, clock });
    const b = budget({ instance: name, clock });
    await a.exhaust();
    expect(await outcome(b.claim('g1:jun'))).toBe(`wait ${17 * 3600_000}`);
    expect(await b.status()).toMatchObject({ exhausted: true, remainingMb: 0, usedMb: 0 });
  });

  it('a slot whose worker died is freed after slotTtlMs', async () => {
    const name = instance();
    const clock = new FakeClock('2026-03-02T18:00:00Z');
    const a = budget({ instance: name, clock, maxJobs: 1, slotTtlMs: 600_000 });
    await a.claim('dead-worker:job');
    expect(await outcome(a.claim('other:job'))).toBe('wait 60000');
    clock.advance(600_000);
    expect(await outcome(a.claim('other:job'))).toBe('granted');
  });

  it('refuses a reserve that leaves nothing, naming the setting', () => {
    const clock = new FakeClock();
    expect(() => budget({ instance: 'x', clock, dailyMb: 100, reserveMb: 100 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID, field: 'bulk.reserveMb' }),
    );
  });
});
