import { describe, expect, it } from 'vitest';
import {
  BULK_CALLS_PER_JOB,
  cheaperPath,
  estimateFromPage,
  planBulkBackfill,
  restCalls,
  windowAt,
} from '../../src/streams/backfill-plan.ts';

const at = (iso: string) => Date.parse(iso);

describe('the backfill planner', () => {
  it('plans windows up to the start of today (the last one shorter), REST from there (the handover)', () => {
    const plan = planBulkBackfill({
      method: 'auto',
      startDate: '2025-01-01T00:00:00Z',
      now: at('2025-03-10T12:00:00Z'),
      windowDays: 31,
    });
    expect(plan).toMatchObject({
      handoverAt: '2025-03-10T00:00:00Z',
      windowStart: '2025-01-01T00:00:00Z',
      windowsTotal: 3,
      windowsDone: 0,
    });
    expect(windowAt(plan!)).toEqual({ startAt: '2025-01-01T00:00:00Z', endAt: '2025-02-01T00:00:00Z' });
    expect(windowAt({ ...plan!, windowStart: '2025-02-01T00:00:00Z' }).endAt).toBe('2025-03-04T00:00:00Z');
    expect(windowAt({ ...plan!, windowStart: '2025-03-04T00:00:00Z' }).endAt).toBe('2025-03-10T00:00:00Z');
  });

  it('plans nothing for rest, or when the backfill starts today', () => {
    const o = { startDate: '2025-01-01T00:00:00Z', now: at('2025-03-10T00:00:00Z'), windowDays: 31 };
    expect(planBulkBackfill({ ...o, method: 'rest' })).toBeUndefined();
    expect(planBulkBackfill({ ...o, method: 'bulk', now: at('2025-01-01T20:00:00Z') })).toBeUndefined();
    expect(planBulkBackfill({ ...o, method: 'bulk' })?.windowsTotal).toBe(3);
  });

  it('takes bulk only where a job costs fewer calls than the REST pages', () => {
    expect(restCalls(0)).toBe(1);
    expect(restCalls(301)).toBe(3);
    const breakEven = (BULK_CALLS_PER_JOB - 1) * 300;
    expect(cheaperPath(breakEven)).toBe('rest');
    expect(cheaperPath(breakEven + 1)).toBe('bulk');
    expect(cheaperPath(400_000)).toBe('bulk');
  });

  it('estimates a window from one REST page: exact when the page passes its end, extrapolated otherwise', () => {
    const window = { startAt: '2025-01-01T00:00:00Z', endAt: '2025-02-01T00:00:00Z' };
    // 300 rows in the first day of a 31-day window: about 9,300.
    const day = Array.from({ length: 300 }, (_, i) => at('2025-01-01T00:00:00Z') + ((i + 1) * 86_400_000) / 300);
    expect(estimateFromPage(window, { dates: day, more: true })).toBe(9_300);
    // The page reaches February: the window holds exactly the rows before its end.
    const sparse = [at('2025-01-05T00:00:00Z'), at('2025-01-20T00:00:00Z'), at('2025-02-03T00:00:00Z')];
    expect(estimateFromPage(window, { dates: sparse, more: true })).toBe(2);
    expect(estimateFromPage(window, { dates: sparse.slice(0, 2), more: false })).toBe(2);
    expect(estimateFromPage(window, { dates: [], more: false })).toBe(0);
  });
});
