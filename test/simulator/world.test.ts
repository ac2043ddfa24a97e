import { describe, expect, it } from 'vitest';
import { ACTIVITY_TYPES } from '../../simulator/activity-types.ts';
import { zonedDate } from '../../simulator/chicago.ts';
import { isoZ } from '../../simulator/hash.ts';
import { PageWriter } from '../../simulator/page-writer.ts';
import { decodePagingToken, encodePagingToken } from '../../simulator/paging-token.ts';
import { activityJson, typeMask, World, type WorldOptions, writeActivityJson } from '../../simulator/world.ts';

const opts: WorldOptions = {
  seed: 9,
  leads: 1000,
  activities: 200_000,
  start: Date.parse('2025-01-01T00:00:00Z'),
  end: Date.parse('2025-07-01T00:00:00Z'),
  programs: 10,
  campaigns: 20,
  lateArrivalRate: 0.01,
  deletedLeadRate: 0.02,
};

describe('world', () => {
  it('writes the same bytes from its pre-encoded pieces as activityJson renders', () => {
    const w = new World(opts);
    const out = new PageWriter('');
    let expected = '';
    for (let i = 0; i < 2_000; i += 3) {
      const a = w.randomActivity(i);
      expect(a.encoded).toBeDefined();
      writeActivityJson(out, a, isoZ(a.date));
      expected += activityJson(a, isoZ(a.date));
    }
    const event = w.eventActivity(0); // built on the fly: no pre-encoded pieces
    writeActivityJson(out, event, isoZ(event.date));
    expected += activityJson(event, isoZ(event.date));
    expect(out.finish().toString('utf8')).toBe(expected);
    expect(out.finish().length).toBe(Buffer.byteLength(expected));
  });

  it('activity i is a pure function of (seed, i); dates are non-decreasing and inside [start, end]', () => {
    const a = new World(opts);
    const b = new World(opts);
    for (const i of [0, 1, 17, 99_999, 199_999]) expect(a.randomActivity(i)).toEqual(b.randomActivity(i));
    expect(new World({ ...opts, seed: 10 }).randomActivity(5)).not.toEqual(a.randomActivity(5));
    let prev = opts.start;
    for (let i = 0; i < 200_000; i += 7) {
      const d = a.dateOf(i);
      expect(d).toBeGreaterThanOrEqual(prev);
      prev = d;
    }
    expect(prev).toBeLessThanOrEqual(opts.end);
  });

  it('has daily and weekly rhythm: more activity on weekday afternoons (Central) than at night or on weekends', () => {
    const w = new World(opts);
    const byHour = new Array(24).fill(0);
    const byDow = new Array(7).fill(0);
    for (let i = 0; i < 200_000; i += 3) {
      const d = new Date(w.dateOf(i) - 6 * 3600_000);
      byHour[d.getUTCHours()]++;
      byDow[d.getUTCDay()]++;
    }
    expect(byHour[13]).toBeGreaterThan(byHour[3] * 3);
    expect(byDow[3]).toBeGreaterThan(byDow[0] * 2);
  });

  it('marketoGUIDs are unique and uuid-shaped; positionAt finds the first activity at or after a date', () => {
    const w = new World(opts);
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(w.randomActivity(i).guid);
    expect(seen.size).toBe(50_000);
    expect(w.randomActivity(3).guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = Date.parse('2025-03-15T12:00:00Z');
    const i = w.firstIndexAtOrAfter(t);
    expect(w.dateOf(i)).toBeGreaterThanOrEqual(t);
    expect(w.dateOf(i - 1)).toBeLessThan(t);
  });

  it('scan with a horizon stops there and resumes where it left off', () => {
    const w = new World(opts);
    const mask = typeMask([6, 10, 12]);
    const horizon = Date.parse('2025-02-01T00:00:00Z');
    const first: string[] = [];
    let pos = w.positionAt(Date.parse('2025-01-20T00:00:00Z'));
    for (;;) {
      const r = w.scan(pos, { typeMask: mask }, horizon, horizon, 300, 1e6, (a) => first.push(a.guid));
      pos = r.pos;
      if (r.done) break;
    }
    const next: number[] = [];
    w.scan(pos, { typeMask: mask }, opts.end, opts.end, 50, 1e6, (a) => next.push(a.date));
    expect(next.every((d) => d > horizon)).toBe(true);
    const all = [...w.iterate({ typeMask: mask }, Date.parse('2025-01-20T00:00:00Z'), horizon, horizon)].map(
      (a) => a.guid,
    );
    expect(first).toEqual(all);
  });

  it('paging tokens round-trip and reject tampering or another seed', () => {
    const t = { i: 12345, k: 67, mDate: 1735689600000, mSeq: -1, q: 3, issuedAt: 1735689600000 };
    const s = encodePagingToken(9, t);
    expect(s).toMatch(/^[A-Z2-7]+$/);
    expect(decodePagingToken(9, s)).toEqual(t);
    expect(decodePagingToken(10, s)).toBeUndefined();
    expect(decodePagingToken(9, `${s.slice(0, 10)}A${s.slice(11)}`)).toBeUndefined();
  });

  it('Central date follows daylight saving', () => {
    expect(zonedDate(Date.parse('2026-03-08T05:59:00Z'))).toBe('2026-03-07');
    expect(zonedDate(Date.parse('2026-03-08T06:00:00Z'))).toBe('2026-03-08');
    expect(zonedDate(Date.parse('2026-03-09T04:59:00Z'))).toBe('2026-03-08');
    expect(zonedDate(Date.parse('2026-03-09T05:00:00Z'))).toBe('2026-03-09');
    expect(zonedDate(Date.parse('2026-11-02T05:59:00Z'))).toBe('2026-11-01');
    expect(zonedDate(Date.parse('2026-11-02T06:00:00Z'))).toBe('2026-11-02');
  });
});

describe('late arrivals and scan cost (issue #12)', () => {
  const lagsOf = (w: World) => {
    const lags: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const a = w.randomActivity(i);
      if (a.visibleAt > a.date) lags.push(a.visibleAt - a.date);
    }
    return lags;
  };

  it('spreads late arrivals up to lateArrivalMaxMs (days), and keeps 1–50 minutes by default', () => {
    const day = lagsOf(new World({ ...opts, lateArrivalRate: 0.05, lateArrivalMaxMs: 24 * 3_600_000 }));
    expect(Math.min(...day)).toBeGreaterThanOrEqual(60_000);
    expect(Math.max(...day)).toBeLessThanOrEqual(24 * 3_600_000);
    expect(day.filter((lag) => lag > 12 * 3_600_000).length).toBeGreaterThan(day.length / 3);
    const usual = lagsOf(new World({ ...opts, lateArrivalRate: 0.05 }));
    expect(Math.max(...usual)).toBeLessThanOrEqual(50 * 60_000);
    expect(() => new World({ ...opts, lateArrivalMaxMs: 30_000 })).toThrow(/lateArrivalMaxMs/);
  });

  it('a token that passed a late activity never returns it; a fresh token from an earlier date does', () => {
    const w = new World({ ...opts, lateArrivalRate: 0.05, lateArrivalMaxMs: 24 * 3_600_000 });
    const all = typeMask(Array.from({ length: 1024 }, (_, j) => j));
    const from = Date.parse('2025-03-01T00:00:00Z');
    const caughtUp = Date.parse('2025-03-01T06:00:00Z');
    const later = Date.parse('2025-03-02T12:00:00Z');
    const first = new Set<string>();
    const r = w.scan(w.positionAt(from), { typeMask: all }, caughtUp, caughtUp, 1e9, 1e9, (a) => first.add(a.guid));
    expect(r.done).toBe(true);
    // Continue the held position: only activities dated after it, none of the late ones behind it.
    const continued: number[] = [];
    w.scan(r.pos, { typeMask: all }, later, later, 1e9, 1e9, (a) => continued.push(a.date));
    expect(continued.length).toBeGreaterThan(0);
    expect(Math.min(...continued)).toBeGreaterThan(caughtUp);
    // A re-read from the start shows the ones that became visible since.
    const shownLate: string[] = [];
    w.scan(w.positionAt(from), { typeMask: all }, later, caughtUp, 1e9, 1e9, (a) => {
      if (!first.has(a.guid)) shownLate.push(a.guid);
    });
    expect(shownLate.length).toBeGreaterThan(0);
  });

  it('a call looks at no more than scanCap positions, so a sparse filter answers short pages', () => {
    const w = new World(opts);
    const rare = typeMask([ACTIVITY_TYPES.filter((t) => t.weight > 0).sort((a, b) => a.weight - b.weight)[0]!.id]);
    const now = opts.end;
    let emitted = 0;
    const r = w.scan(w.positionAt(opts.start), { typeMask: rare }, now, now, 300, 3_000, () => emitted++);
    expect(r.done).toBe(false);
    expect(emitted).toBeLessThan(300);
    // It stopped after 3,000 positions: a scan that matches nothing stops at the same place.
    const again = w.scan(w.positionAt(opts.start), { typeMask: typeMask([]) }, now, now, 1, 3_000, () => {});
    expect(again.pos).toEqual(r.pos);
  });
});
