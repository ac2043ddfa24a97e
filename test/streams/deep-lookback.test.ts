import { describe, expect, it } from 'vitest';
import { windowAt } from '../../src/streams/backfill-plan.ts';
import { deepLookbackPath, estimateDeepRows, planDeepBulk } from '../../src/streams/deep-lookback.ts';

const HOUR = 3_600_000;

describe('the deep look-back planner (issue #12.5)', () => {
  it('auto: a Bulk Extract job for a dense window, REST paging for a sparse one', () => {
    const dense = { method: 'auto', estimatedRows: 280_000, heldTokenStarts: true, bulkAvailable: true } as const;
    expect(deepLookbackPath(dense)).toBe('bulk');
    expect(deepLookbackPath({ ...dense, estimatedRows: 900 })).toBe('rest'); // 3 pages < a job
    expect(deepLookbackPath({ ...dense, estimatedRows: 0 })).toBe('rest'); // idle: one call
    // Without a held token REST pays the pagingtoken.json call too: 6 calls = a job, still REST; 7 > 6.
    expect(deepLookbackPath({ ...dense, estimatedRows: 1_500, heldTokenStarts: false })).toBe('rest');
    expect(deepLookbackPath({ ...dense, estimatedRows: 1_800, heldTokenStarts: false })).toBe('bulk');
  });

  it('as configured; REST whenever the bulk side is not there (no export budget)', () => {
    const o = { estimatedRows: 280_000, heldTokenStarts: true, bulkAvailable: true };
    expect(deepLookbackPath({ ...o, method: 'rest' })).toBe('rest');
    expect(deepLookbackPath({ ...o, method: 'bulk', estimatedRows: 0 })).toBe('bulk');
    expect(deepLookbackPath({ ...o, method: 'bulk', bulkAvailable: false })).toBe('rest');
    expect(deepLookbackPath({ ...o, method: 'auto', bulkAvailable: false })).toBe('rest');
  });

  it('estimates the window from the activities read since the last deep look-back', () => {
    expect(estimateDeepRows({ rowsSince: 240_000, sinceMs: 24 * HOUR, windowMs: 26 * HOUR })).toBe(260_000);
    // A deep look-back soon after the last one: at least an hour of evidence.
    expect(estimateDeepRows({ rowsSince: 100, sinceMs: 60_000, windowMs: 26 * HOUR })).toBe(2_600);
  });

  it('the window is one bulk window in whole seconds, ending where the pass began, sized beforehand (no probe)', () => {
    const start = Date.parse('2026-03-01T22:00:00.250Z');
    const end = Date.parse('2026-03-03T00:00:00Z');
    const plan = planDeepBulk({ startMs: start, endMs: end, estimatedRows: 1234 });
    expect(windowAt(plan)).toEqual({ startAt: '2026-03-01T22:00:00Z', endAt: '2026-03-03T00:00:00Z' });
    expect(plan.method).toBe('bulk');
    expect(plan.lastWindowRows).toBe(1234);
    expect(plan.windowsTotal).toBe(1);
  });
});
