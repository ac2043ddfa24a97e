import { type BulkJobState, BYTES_PER_MB } from '../bulk/index.ts';
import { parseMarketoDate } from '../marketo/index.ts';

/** How a backfill fetches history: see the `backfill.method` setting. */
export type BackfillMethod = 'auto' | 'bulk' | 'rest';

/**
 * Calls one bulk job costs whatever its size: create, enqueue, a few status polls, the file.
 * REST paging costs one call per 300 activities (plus the paging token).
 */
export const BULK_CALLS_PER_JOB = 6;
const REST_PAGE = 300;

/** A window read by REST paging inside the bulk phase (sparse, or while the export budget is spent). */
export interface RestWindowState {
  /** Where the REST pages of this window start (the window's start, or the newest row a lost job published). */
  since: string;
  nextPageToken?: string;
  rows: number;
  /** Taken because the export budget was spent: its calls count against `backfill.restShare`. */
  fallback?: boolean;
}

/**
 * The bulk phase of a backfill (an activity group's, or the lead snapshot), inside its cursor (so it is checkpointed with
 * every page): consecutive windows of `windowDays` from the start date up to `handoverAt` (the
 * start of the day the backfill began, where REST paging takes over), the window in progress (its
 * bulk job or its REST pages) and what the phase has spent.
 */
export interface BulkBackfillCursor {
  method: 'auto' | 'bulk';
  windowDays: number;
  /** REST paging takes over from here (inclusive; the overlap second is de-duplicated by marketoGUID). */
  handoverAt: string;
  /** Start of the window in progress, or of the next one. */
  windowStart: string;
  /** End of the window in progress when it was cut shorter so its file fits in the day's export budget. */
  windowEnd?: string;
  /** Expected file bytes of the window in progress (its claim on the export budget). */
  estimatedBytes?: number;
  windowsDone: number;
  windowsTotal: number;
  /** The window's bulk job, while one is in progress. */
  job?: BulkJobState;
  /** The window's REST pages, while the window is read that way. */
  rest?: RestWindowState;
  /** Rows of the last finished window (its file's, or its REST pages'): the next window's estimate. */
  lastWindowRows?: number;
  /** File bytes of the last finished window, when it was a file. */
  lastWindowBytes?: number;
  /**
   * Bytes per row of the last file that held rows: what a window's row estimate is turned into
   * bytes with. Kept apart from `lastWindowRows`, which a REST window also sets (one file's bytes
   * over another window's rows made a 31-day window look like a few hundred bytes).
   */
  bytesPerRow?: number;
  /** Length (ms) of the last finished window (windows differ when cut to fit the budget). */
  lastWindowMs?: number;
  /** Windows taken by bulk and by REST so far. */
  bulkWindows: number;
  restWindows: number;
  /** Export bytes (completed files) and Marketo calls the phase has spent. */
  exportedBytes: number;
  calls: number;
  /** Calls spent on REST while the export budget was spent, on `day` (the quota's day). */
  restFallback?: { day: string; calls: number };
  /** Export budget and REST share both spent: nothing to do before this instant. */
  waitingUntil?: string;
  /** Every window before `handoverAt` is published: the REST path goes on from there. */
  finished?: boolean;
  /** Marketo refused the export's filter (1035): every window left goes through REST. */
  refused?: boolean;
}

const DAY = 86_400_000;
/** Bulk Extract windows are whole seconds (ISO without milliseconds). */
export const exportInstant = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The bulk phase a new backfill from `startDate` starts with at `now`: windows of `windowDays`
 * (the last one shorter) up to the start of the current UTC day, where REST paging takes over.
 * Undefined when the method is `rest` or the start date is today (REST does it all).
 */
export function planBulkBackfill(o: {
  method: BackfillMethod;
  startDate: string;
  now: number;
  windowDays: number;
}): BulkBackfillCursor | undefined {
  if (o.method === 'rest') return undefined;
  const start = parseMarketoDate(o.startDate);
  // Today (UTC) is still filling up: REST from its start; every day before it is complete.
  const handover = Math.floor(o.now / DAY) * DAY;
  if (handover <= start) return undefined;
  return {
    method: o.method,
    windowDays: o.windowDays,
    handoverAt: exportInstant(handover),
    windowStart: exportInstant(start),
    windowsDone: 0,
    windowsTotal: Math.ceil((handover - start) / (o.windowDays * DAY)),
    bulkWindows: 0,
    restWindows: 0,
    exportedBytes: 0,
    calls: 0,
  };
}

/** The window that starts at `b.windowStart` (its end inclusive, as Marketo's filters are; the last one ends at the handover). */
export function windowAt(b: BulkBackfillCursor): { startAt: string; endAt: string } {
  const start = parseMarketoDate(b.windowStart);
  const full = Math.min(start + b.windowDays * DAY, parseMarketoDate(b.handoverAt));
  const end = b.windowEnd ? Math.min(parseMarketoDate(b.windowEnd), full) : full;
  return { startAt: exportInstant(start), endAt: exportInstant(end) };
}

/** Bytes per row assumed before a file was seen (Marketo's activity CSV rows run 150–300 bytes). */
export const GUESSED_BYTES_PER_ROW = 300;
/** A window's file may take at most this share of a day's export budget (so the day fits two at least). */
const MAX_BUDGET_SHARE_PER_FILE = 0.5;
const HOUR = 3_600_000;
/**
 * The first bulk window of a group spans one day: its file measures the group's bytes per day
 * (one page of REST is too small a sample: activity is uneven over a day), so later windows are
 * sized to fit the export budget.
 */
export const CALIBRATION_WINDOW_MS = DAY;

/**
 * Where a bulk window must end so its file (`estimatedBytes` over the whole window) stays within
 * half the day's export budget: the window's own end when it fits, else an earlier instant (whole
 * seconds, at least an hour in).
 */
export function fittedWindowEnd(
  window: { startAt: string; endAt: string },
  estimatedBytes: number,
  dailyExportBytes: number,
): string {
  const start = parseMarketoDate(window.startAt);
  const end = parseMarketoDate(window.endAt);
  const cap = dailyExportBytes * MAX_BUDGET_SHARE_PER_FILE;
  if (estimatedBytes <= cap) return window.endAt;
  const ms = Math.max(HOUR, Math.floor(((end - start) * cap) / estimatedBytes / 1000) * 1000);
  return exportInstant(Math.min(end, start + ms));
}

/** REST calls a window of `rows` activities costs. */
export const restCalls = (rows: number) => Math.ceil(rows / REST_PAGE) + 1;

/** `rows` of a window of `fromMs` scaled to one of `toMs` (the last window is shorter). */
export const scaledRows = (rows: number, fromMs: number, toMs: number) =>
  fromMs > 0 ? Math.ceil((rows * toMs) / fromMs) : rows;

/** The cheaper path for a window expected to hold `estimatedRows` activities. */
export function cheaperPath(estimatedRows: number): 'bulk' | 'rest' {
  return BULK_CALLS_PER_JOB < restCalls(estimatedRows) ? 'bulk' : 'rest';
}

/**
 * A window's row count estimated from one REST page read from its start: exact when the page
 * reaches past the window's end (or is the last), otherwise the page's rows spread over the time
 * they covered, extrapolated to the whole window.
 */
export function estimateFromPage(
  window: { startAt: string; endAt: string },
  page: { dates: readonly number[]; more: boolean },
): number {
  const start = parseMarketoDate(window.startAt);
  const end = parseMarketoDate(window.endAt);
  const inWindow = page.dates.filter((d) => d <= end).length;
  const last = page.dates.at(-1);
  if (!page.more || last === undefined || last > end) return inWindow;
  return Math.ceil((inWindow * (end - start)) / Math.max(last - start, 1_000));
}

/** True while the bulk phase has windows left (the stream is inside its backfill pass). */
export const bulkPhaseActive = (b: BulkBackfillCursor | undefined): b is BulkBackfillCursor =>
  b !== undefined && !b.finished;

/** The phase's progress for logs and the cursor view: windows, the job in progress, MB and calls. */
export function bulkProgress(b: BulkBackfillCursor): Record<string, unknown> {
  return {
    windowsDone: b.windowsDone,
    windowsTotal: b.windowsTotal,
    bulkWindows: b.bulkWindows,
    restWindows: b.restWindows,
    job: b.job?.exportId ? { exportId: b.job.exportId, status: b.job.status, rowsReached: b.job.rowsReached } : null,
    exportedMb: Math.round((b.exportedBytes / BYTES_PER_MB) * 1000) / 1000,
    calls: b.calls,
  };
}
