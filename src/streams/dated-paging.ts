import { ErrorCodes, hasCode } from '../errors.ts';
import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { getPagingToken, parseMarketoDate } from '../marketo/index.ts';
import { type LookbackSchedule, type PassKind, passKind, windowOf } from './lookback-schedule.ts';
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
  /**
   * The token Marketo returned on the page where the last pass caught up (moreResult false): the
   * next tail pass continues from it without asking pagingtoken.json (streams with a look-back schedule).
   */
  heldToken?: string;
  /** What the current (or last) pass reads (streams with a look-back schedule). */
  passKind?: PassKind;
  /** When the last pass that re-read the regular (or deep) look-back window began (ISO). */
  lookbackAt?: string;
  /** When the last pass that re-read the deep look-back window began (ISO). */
  deepLookbackAt?: string;
  /**
   * The pass's first token is one held since an earlier pass (a look-back re-read from the token
   * ring): if Marketo refuses it, a fresh token from `sinceDate` replaces it.
   */
  ringStart?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const parseOptional = (date: string | undefined) => (date === undefined ? undefined : parseMarketoDate(date));

/**
 * The cursor rules every date-paged stream shares: the first pass starts at `startDate`; a pass is
 * in progress while a paging token is held (a crash resumes it); each later pass starts where
 * {@link passStart} says, from the newest record seen and when the last pass began.
 * `lookbackMs` is the configured look-back ({@link effectiveLookbackMs} is applied here).
 * With a `schedule`, a later pass re-reads a window only when the schedule says so (see
 * {@link passKind}); the others continue from the token held since the last pass caught up.
 */
export function datedCursorRules<C extends DatedCursor>(o: {
  startDate: string;
  lookbackMs: number;
  schedule?: LookbackSchedule;
}): Pick<StreamDefinition<unknown, C>, 'initialCursor' | 'inPass' | 'beginPass'> {
  const floor = parseMarketoDate(o.startDate);
  const lookbackMs = effectiveLookbackMs(o.lookbackMs);
  const { schedule } = o;
  const startOf = (cursor: C, windowMs: number) =>
    passStart({
      lastPassStart: parseOptional(cursor.passStartedAt),
      newestSeen: parseOptional(cursor.maxActivityDate),
      floor,
      lookbackMs: windowMs,
    });
  return {
    initialCursor: (now) => ({ seq: 0, phase: 'backfill', sinceDate: o.startDate, updatedAt: iso(now) }) as C,
    inPass: (cursor) => cursor.nextPageToken !== undefined,
    beginPass: (cursor, now) => {
      if (!schedule) {
        const since = startOf(cursor, lookbackMs);
        return { ...cursor, sinceDate: since === undefined ? o.startDate : iso(since), passStartedAt: iso(now) };
      }
      const at = iso(now);
      if (startOf(cursor, 0) === undefined) {
        // The backfill reads everything from the start date: it stands for both look-backs.
        return {
          ...cursor,
          sinceDate: o.startDate,
          passStartedAt: at,
          passKind: 'deep',
          lookbackAt: at,
          deepLookbackAt: at,
        };
      }
      // A cursor from before the schedule existed: its last pass re-read the regular window.
      const lastPass = parseOptional(cursor.passStartedAt) ?? now;
      const kind = passKind(
        schedule,
        now,
        parseOptional(cursor.lookbackAt) ?? lastPass,
        parseOptional(cursor.deepLookbackAt) ?? lastPass,
      );
      const since = iso(startOf(cursor, windowOf(schedule, kind))!);
      return {
        ...cursor,
        sinceDate: since,
        passStartedAt: at,
        passKind: kind,
        nextPageToken: kind === 'tail' ? cursor.heldToken : undefined,
        heldToken: undefined,
        ...(kind === 'tail' ? {} : { lookbackAt: at }),
        ...(kind === 'deep' ? { deepLookbackAt: at } : {}),
      };
    },
  };
}

/**
 * The cursor after a dated page: Marketo's next token while it has more (none at the end, which
 * also ends the backfill phase), and the newest activityDate seen. With `holdToken`, the token of
 * the page that caught up is kept for the next pass ({@link DatedCursor.heldToken}).
 */
export function afterDatedPage<C extends DatedCursor>(
  cursor: C,
  page: Pick<MarketoResponse<{ activityDate: string }>, 'result' | 'moreResult' | 'nextPageToken'>,
  holdToken = false,
): C {
  const more = page.moreResult === true;
  return {
    ...cursor,
    nextPageToken: more ? page.nextPageToken : undefined,
    ringStart: undefined,
    ...(holdToken ? { heldToken: more ? undefined : page.nextPageToken } : {}),
    maxActivityDate: newestDate(cursor.maxActivityDate, page.result),
    phase: more ? cursor.phase : 'incremental',
  };
}

/**
 * Whether Marketo refused a paging token we had stored. Its wording is undocumented, so this goes
 * by the classified code: a token complaint, or any request Marketo rejected outright (a business
 * error such as 1003, or an HTTP 414 for a token grown too long). Retriable errors (quota, rate,
 * outages) are not a rejection. The caller falls back once, so a rejection that has nothing to do
 * with the token still surfaces on the second call.
 */
export function storedTokenRejected(err: unknown): boolean {
  return hasCode(err, ErrorCodes.PAGING_TOKEN_INVALID) || hasCode(err, ErrorCodes.REQUEST_REJECTED);
}

/**
 * Asks for the page at `cursor`'s token (or a fresh token from its `sinceDate`); a stored token
 * Marketo rejects ({@link storedTokenRejected}) is replaced, once, by a fresh one from one look-back
 * window behind the newest record seen (never before the pass's start date), or from `sinceDate`
 * for a pass that began at a token from the ring. `onFreshToken` hears of each fresh token and the
 * date it stands for.
 */
export async function datedPage<T>(
  o: {
    client: MarketoClient;
    startDate: string;
    lookbackMs: number;
    name: string;
    onFreshToken?: (since: string, token: string) => void;
  },
  cursor: DatedCursor,
  ctx: StreamContext,
  ask: (token: string) => Promise<MarketoResponse<T>>,
): Promise<MarketoResponse<T>> {
  const fresh = async (since: string) => {
    const token = await getPagingToken(o.client, since, ctx.signal);
    o.onFreshToken?.(since, token);
    return token;
  };
  const stored = cursor.nextPageToken;
  if (stored === undefined) return ask(await fresh(cursor.sinceDate));
  try {
    return await ask(stored);
  } catch (err) {
    if (!storedTokenRejected(err)) throw err;
    if (cursor.ringStart) {
      ctx.logger.warn(
        { stream: o.name, since: cursor.sinceDate },
        'held paging token rejected; a fresh one from its date',
      );
      return ask(await fresh(cursor.sinceDate));
    }
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
    return ask(await fresh(since));
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
