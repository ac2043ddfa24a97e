import { ErrorCodes, hasCode } from '../errors.ts';
import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { getPagingToken, parseMarketoDate } from '../marketo/index.ts';
import { effectiveLookbackMs, passStart } from './pass-start.ts';
import type { StreamContext, StreamCursor, StreamDefinition } from './stream.ts';

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
const parseOptional = (date: string | undefined) => (date === undefined ? undefined : parseMarketoDate(date));

/**
 * The cursor rules every date-paged stream shares: the first pass starts at `startDate`; a pass is
 * in progress while a paging token is held (a crash resumes it); each later pass starts where
 * {@link passStart} says, from the newest record seen and when the last pass began.
 * `lookbackMs` is the configured look-back ({@link effectiveLookbackMs} is applied here).
 */
export function datedCursorRules<C extends DatedCursor>(o: {
  startDate: string;
  lookbackMs: number;
}): Pick<StreamDefinition<unknown, C>, 'initialCursor' | 'inPass' | 'beginPass'> {
  const floor = parseMarketoDate(o.startDate);
  const lookbackMs = effectiveLookbackMs(o.lookbackMs);
  return {
    initialCursor: (now) => ({ seq: 0, phase: 'backfill', sinceDate: o.startDate, updatedAt: iso(now) }) as C,
    inPass: (cursor) => cursor.nextPageToken !== undefined,
    beginPass: (cursor, now) => {
      const since = passStart({
        lastPassStart: parseOptional(cursor.passStartedAt),
        newestSeen: parseOptional(cursor.maxActivityDate),
        floor,
        lookbackMs,
      });
      return { ...cursor, sinceDate: since === undefined ? o.startDate : iso(since), passStartedAt: iso(now) };
    },
  };
}

/**
 * The cursor after a dated page: Marketo's next token while it has more (none at the end, which
 * also ends the backfill phase), and the newest activityDate seen.
 */
export function afterDatedPage<C extends DatedCursor>(
  cursor: C,
  page: Pick<MarketoResponse<{ activityDate: string }>, 'result' | 'moreResult' | 'nextPageToken'>,
): C {
  const more = page.moreResult === true;
  return {
    ...cursor,
    nextPageToken: more ? page.nextPageToken : undefined,
    maxActivityDate: newestDate(cursor.maxActivityDate, page.result),
    phase: more ? cursor.phase : 'incremental',
  };
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
      ? iso(
          Math.max(
            parseMarketoDate(cursor.maxActivityDate) - effectiveLookbackMs(o.lookbackMs),
            parseMarketoDate(cursor.sinceDate),
          ),
        )
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
  for (const r of records) newest = Math.max(newest, activityTime(r) ?? Number.NEGATIVE_INFINITY);
  return Number.isFinite(newest) ? iso(newest) : current;
}

/**
 * A record's activityDate in ms; undefined for a record without a usable one. Such a record goes to
 * the dead-letter topic (its toRecord throws), so it must not fail the whole page here: Marketo
 * would answer the same page again and the stream would never move on.
 */
function activityTime(r: unknown): number | undefined {
  const d = (r as { activityDate?: unknown } | null)?.activityDate;
  if (typeof d !== 'string') return undefined;
  try {
    return parseMarketoDate(d);
  } catch {
    return undefined;
  }
}
