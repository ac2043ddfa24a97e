import { BULK_CALLS_PER_JOB, type BulkBackfillCursor, exportInstant } from './backfill-plan.ts';

/** How the deep look-back re-reads its window: see the `deepLookbackMethod` setting. */
export type DeepLookbackMethod = 'auto' | 'bulk' | 'rest';

const REST_PAGE = 300;
const HOUR = 3_600_000;

/**
 * Activities the deep window is expected to hold: those the stream published since the last deep
 * look-back, spread over the time since then (at least an hour) and scaled to the window.
 */
export function estimateDeepRows(o: { rowsSince: number; sinceMs: number; windowMs: number }): number {
  return Math.ceil((o.rowsSince * o.windowMs) / Math.max(o.sinceMs, HOUR));
}

/**
 * The path of one deep look-back: `bulk` and `rest` as configured; `auto` takes a Bulk Extract
 * job where it costs fewer calls than REST paging (⌈rows / 300⌉ pages, and a pagingtoken.json call
 * unless a held token starts the re-read) — a dense window; REST for a sparse one. Without the
 * bulk side (no Redis export budget configured) it is always REST.
 */
export function deepLookbackPath(o: {
  method: DeepLookbackMethod;
  estimatedRows: number;
  heldTokenStarts: boolean;
  bulkAvailable: boolean;
}): 'bulk' | 'rest' {
  if (!o.bulkAvailable || o.method === 'rest') return 'rest';
  if (o.method === 'bulk') return 'bulk';
  const restCalls = Math.max(1, Math.ceil(o.estimatedRows / REST_PAGE)) + (o.heldTokenStarts ? 0 : 1);
  return BULK_CALLS_PER_JOB < restCalls ? 'bulk' : 'rest';
}

/**
 * The deep window [`startMs`, `endMs`] as a bulk phase of its own (the backfill's machinery:
 * crash-safe job in the cursor, export budget, REST when the budget is spent): one window ending
 * at `endMs`, its size known beforehand (`estimatedRows`), so no probe is spent on it.
 */
export function planDeepBulk(o: { startMs: number; endMs: number; estimatedRows: number }): BulkBackfillCursor {
  const windowMs = Math.max(o.endMs - o.startMs, 1_000);
  return {
    method: 'bulk',
    windowDays: 31,
    handoverAt: exportInstant(o.endMs),
    windowStart: exportInstant(o.startMs),
    windowsDone: 0,
    windowsTotal: 1,
    lastWindowRows: o.estimatedRows,
    lastWindowMs: windowMs,
    bulkWindows: 0,
    restWindows: 0,
    exportedBytes: 0,
    calls: 0,
  };
}
