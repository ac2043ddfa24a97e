import { ErrorCodes, hasCode } from '../errors.ts';
import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { getPagingToken, parseMarketoDate } from '../marketo/index.ts';
import type { StreamContext, StreamCursor } from './stream.ts';

/** Cursor of a stream paged by a date-based paging token (activities, lead changes, deleted and merged leads). */
export interface DatedCursor extends StreamCursor {
  /** Start of the current (or last) pass. */
  sinceDate: string;
  /** Where the current pass resumes; absent between passes. */
  nextPageToken?: string;
  /** Newest activityDate seen so far (ISO). */
  maxActivityDate?: string;
  /** When the current (or last) pass began (ISO). */
  passStartedAt?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Where a pass of a dated stream starts: the start date for the first pass, then one look-back
 * window behind the newest of the newest record seen and the start of the previous pass (so a
 * stream with few records does not re-scan from the start date every time).
 */
export function datedPassStart(cursor: DatedCursor, startDate: string, lookbackMs: number): string {
  const start = parseMarketoDate(startDate);
  const newest = Math.max(
    cursor.maxActivityDate ? parseMarketoDate(cursor.maxActivityDate) : Number.NEGATIVE_INFINITY,
    cursor.passStartedAt ? parseMarketoDate(cursor.passStartedAt) : Number.NEGATIVE_INFINITY,
  );
  return Number.isFinite(newest) ? iso(Math.max(newest - lookbackMs, start)) : startDate;
}

/**
 * Asks for the page at `cursor`'s token (or a fresh token from its `sinceDate`); a token Marketo
 * rejects is replaced by a fresh one from one look-back window behind the newest record seen.
 */
export async function datedPage<T>(
  o: { client: MarketoClient; startDate: string; lookbackMs: number; name: string },
  cursor: DatedCursor,
  ctx: StreamContext,
  ask: (token: string) => Promise<MarketoResponse<T>>,
): Promise<MarketoResponse<T>> {
  try {
    return await ask(cursor.nextPageToken ?? (await getPagingToken(o.client, cursor.sinceDate, ctx.signal)));
  } catch (err) {
    if (!hasCode(err, ErrorCodes.PAGING_TOKEN_INVALID)) throw err;
    // Resume behind the newest record of this pass (never before the pass start).
    const since = cursor.maxActivityDate
      ? iso(Math.max(parseMarketoDate(cursor.maxActivityDate) - o.lookbackMs, parseMarketoDate(cursor.sinceDate)))
      : cursor.sinceDate;
    ctx.logger.warn({ stream: o.name, since }, 'paging token rejected; restarting from the stored date');
    return ask(await getPagingToken(o.client, since, ctx.signal));
  }
}

/** The newest of `current` (ISO or undefined) and the records' activityDate, as ISO. */
export function newestDate(
  current: string | undefined,
  records: readonly { activityDate: string }[],
): string | undefined {
  let newest = current ? parseMarketoDate(current) : Number.NEGATIVE_INFINITY;
  for (const r of records) newest = Math.max(newest, parseMarketoDate(r.activityDate));
  return Number.isFinite(newest) ? iso(newest) : current;
}
