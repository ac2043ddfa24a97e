import type { ExportBudget } from '../bulk/index.ts';
import type { MarketoClient } from '../marketo/index.ts';
import { getActivitiesPage, parseMarketoDate } from '../marketo/index.ts';
import { activitySchema, recordKey, toActivityRecord } from '../schemas/index.ts';
import { type ActivityGroup, activityGroupName } from './activity-groups.ts';
import type { BulkBackfillCursor } from './backfill-plan.ts';
import { type BackfillMethod, bulkPhaseActive, bulkProgress, planBulkBackfill } from './backfill-plan.ts';
import {
  type ActivityRecord,
  activitySource,
  BulkBackfill,
  type BulkPhaseCursor,
  isRejectedRow,
} from './bulk-backfill.ts';
import { afterDatedPage, type DatedCursor, datedCursorRules, datedPage, newestDate } from './dated-paging.ts';
import { type DeepLookbackMethod, deepLookbackPath, estimateDeepRows, planDeepBulk } from './deep-lookback.ts';
import { dedupeWindowMs, type LookbackSchedule } from './lookback-schedule.ts';
import { effectiveLookbackMs, passStart } from './pass-start.ts';
import type { FetchedPage, OutgoingRecord, StreamContext, StreamDefinition } from './stream.ts';
import { type HeldToken, RING_GRAIN_MS, rememberToken, tokenFrom } from './token-ring.ts';

/**
 * Cursor of one activity group: a dated cursor plus the backfill window it stands in, and (while
 * the history goes through Bulk Extract) the bulk phase with its job in progress.
 */
export interface ActivitiesCursor extends DatedCursor, BulkPhaseCursor {
  /** Backfill window the cursor stands in: a month (`2025-03`), or a day (`2025-03-14`) in a large month. */
  window?: string;
  /** Activities published in that window so far (decides the day split). */
  windowCount?: number;
  /** Tokens held at earlier instants: a look-back pass re-reads its window from one of them. */
  heldTokens?: HeldToken[];
  /** Activities read by REST since the last deep look-back began (the next one's density estimate). */
  rowsSinceDeep?: number;
  /** The deep look-back's window through Bulk Extract, while its job is in progress (crash-safe, as the backfill's). */
  deepBulk?: BulkBackfillCursor;
  /** The deep window's job waits (export budget, job slots): this pass reads the tail only. */
  deepParked?: boolean;
  /** Newest activityDate the deep window's files published so far (where a given-up window's REST read resumes). */
  deepNewest?: string;
}

export interface ActivitiesStreamOptions {
  client: MarketoClient;
  group: ActivityGroup;
  topic: string;
  instance: string;
  connection: string;
  /** Type id → name, from activities/types.json. */
  typeNames: ReadonlyMap<number, string>;
  startDate: string;
  /** Which passes re-read which window (the regular look-back is `schedule.lookbackMs`). */
  schedule: LookbackSchedule;
  /** A month with more activities than this is labelled, and checkpointed, by day. */
  dailySplitThreshold: number;
  /** How the backfill fetches history (absent: REST paging only). */
  backfill?: ActivitiesBackfillOptions;
  /** How the deep look-back re-reads its window (absent: REST paging only). */
  deepLookback?: DeepLookbackOptions;
}

/** The bulk side of the deep look-back (see the `deepLookbackMethod` and `bulk` settings). */
export interface DeepLookbackOptions
  extends Pick<ActivitiesBackfillOptions, 'timeZone' | 'pollMinMs' | 'budget' | 'dailyExportBytes' | 'dailyQuota'> {
  method: DeepLookbackMethod;
}

/** The bulk side of an activity group's backfill (see the `backfill` and `bulk` settings). */
export interface ActivitiesBackfillOptions {
  method: BackfillMethod;
  windowDays: number;
  restShare: number;
  dailyQuota: number;
  timeZone: string;
  pollMinMs: number;
  budget?: ExportBudget;
  /** Export bytes a day this service may use (a window's file is planned within half of it). */
  dailyExportBytes?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** How many of `records` are dated after `date` (all of them without one; unreadable dates do not count). */
function newerThan(records: readonly { activityDate: string }[], date: string | undefined): number {
  const after = date === undefined ? Number.NEGATIVE_INFINITY : parseMarketoDate(date);
  return records.filter((r) => Date.parse(r.activityDate) > after).length;
}

/**
 * The activities of one group of ≤ 10 types: pages of 300 in series until `moreResult` is false.
 * The first pass is the backfill from the start date. A later pass continues from the token Marketo
 * returned when the last pass caught up (no pagingtoken.json call), so each activity is read once;
 * as the schedule says, a pass instead starts from a fresh token one regular or one deep look-back
 * window behind the later of the newest activity and the last pass's start (the dated streams' one
 * rule), so activities Marketo shows late are caught (the runner drops those already published, by
 * marketoGUID, remembered for the widest window). A stored token Marketo rejects is replaced by a
 * fresh one from the stored date.
 */
export function activitiesStream(o: ActivitiesStreamOptions): StreamDefinition<ActivityRecord, ActivitiesCursor> {
  const name = activityGroupName(o.group.ids);
  const dated = datedCursorRules<ActivitiesCursor>({ ...o, lookbackMs: o.schedule.lookbackMs });
  let bulk: BulkBackfill<ActivitiesCursor> | undefined;
  const bulkPhase = (ctx: StreamContext) => {
    bulk ??= new BulkBackfill<ActivitiesCursor>(
      {
        ...o.backfill!,
        client: o.client,
        source: activitySource({
          activityTypeIds: o.group.request,
          startDate: o.startDate,
          lookbackMs: o.schedule.lookbackMs,
          name,
        }),
        name,
        connection: o.connection,
      },
      ctx,
    );
    return bulk;
  };

  // The deep window's bulk phase: the backfill's machinery over one window; when its job would have
  // to wait (export budget spent, job slots taken) it reads the window through REST at once (within
  // the whole day's calls: it is the REST look-back it stands in for).
  let deep: BulkBackfill<ActivitiesCursor> | undefined;
  const deepPhase = (ctx: StreamContext) => {
    const d = o.deepLookback!;
    deep ??= new BulkBackfill<ActivitiesCursor>(
      {
        ...d,
        client: o.client,
        source: activitySource({
          activityTypeIds: o.group.request,
          startDate: o.startDate,
          lookbackMs: o.schedule.lookbackMs,
          name: `${name}.deep`,
        }),
        name: `${name}.deep`,
        connection: o.connection,
        restShare: 1,
        restWhenWaiting: true,
      },
      { ...ctx, logger: ctx.logger.child({ stream: name, lookback: 'deep' }) },
    );
    return deep;
  };
  // The bulk phase sees a cursor of its own (its window, its newest row); the runner hands back the
  // cursor it was given, and this map finds the phase's own again (it keeps a file read going by it).
  const deepViews = new WeakMap<ActivitiesCursor, ActivitiesCursor>();
  const deepView = (cursor: ActivitiesCursor): ActivitiesCursor =>
    deepViews.get(cursor) ?? {
      ...cursor,
      bulk: cursor.deepBulk,
      maxActivityDate: cursor.deepNewest,
      nextPageToken: undefined,
      sinceDate: cursor.deepBulk!.windowStart,
    };
  const ringShape = {
    fineMs: effectiveLookbackMs(o.schedule.lookbackMs),
    widestMs: dedupeWindowMs(o.schedule),
  };
  const floor = parseMarketoDate(o.startDate);

  /** A look-back pass (`next`, as the dated rules began it): from a held token, or its deep window by bulk. */
  const lookbackStart = (before: ActivitiesCursor, next: ActivitiesCursor, now: number): ActivitiesCursor => {
    const since = parseMarketoDate(next.sinceDate);
    const held = tokenFrom(before.heldTokens, since);
    const rowsSince = before.rowsSinceDeep ?? 0;
    if (next.passKind !== 'deep') {
      return held ? { ...next, nextPageToken: held.token, sinceDate: held.at, ringStart: true } : next;
    }
    const lastDeep = before.deepLookbackAt ? parseMarketoDate(before.deepLookbackAt) : now;
    const windowMs = now - since;
    const estimatedRows = estimateDeepRows({ rowsSince, sinceMs: now - lastDeep, windowMs });
    const path = deepLookbackPath({
      method: o.deepLookback?.method ?? 'rest',
      estimatedRows,
      heldTokenStarts: held !== undefined,
      bulkAvailable: o.deepLookback !== undefined && !bulkPhaseActive(before.deepBulk),
    });
    const counted = { ...next, rowsSinceDeep: 0 };
    if (path === 'rest') {
      return held ? { ...counted, nextPageToken: held.token, sinceDate: held.at, ringStart: true } : counted;
    }
    // The deep window through its bulk job first (old to new, as REST reads it: the de-duplication
    // memory is measured back from the newest record seen), then the tail as a tail pass reads it.
    const tailSince = passStart({
      lastPassStart: before.passStartedAt ? parseMarketoDate(before.passStartedAt) : undefined,
      newestSeen: before.maxActivityDate ? parseMarketoDate(before.maxActivityDate) : undefined,
      floor,
      lookbackMs: effectiveLookbackMs(0),
    });
    return {
      ...counted,
      nextPageToken: before.heldToken,
      sinceDate: tailSince === undefined ? next.sinceDate : iso(tailSince),
      deepBulk: planDeepBulk({ startMs: since, endMs: Math.floor(now / 1000) * 1000, estimatedRows }),
      deepNewest: undefined,
    };
  };

  /** One step of the deep window's bulk phase, as a page of this stream. */
  const deepPage = async (
    cursor: ActivitiesCursor,
    ctx: StreamContext,
  ): Promise<FetchedPage<ActivityRecord, ActivitiesCursor>> => {
    const page = await deepPhase(ctx).fetchPage(deepView(cursor), ctx);
    const inner = page.cursor;
    const b = inner.bulk!;
    const newest = newestDate(
      cursor.maxActivityDate,
      inner.maxActivityDate ? [{ activityDate: inner.maxActivityDate }] : [],
    );
    if (b.finished) {
      ctx.logger.info({ stream: name, ...bulkProgress(b) }, 'deep look-back window read through Bulk Extract');
      const { deepBulk: _b, deepNewest: _n, ...rest } = cursor;
      return { records: page.records, cursor: { ...rest, maxActivityDate: newest }, done: false };
    }
    const outer: ActivitiesCursor = {
      ...cursor,
      deepBulk: b,
      deepNewest: inner.maxActivityDate,
      maxActivityDate: newest,
      // A phase that waits (export budget, job slots): this pass goes on with the tail.
      ...(page.done ? { deepParked: true } : {}),
    };
    deepViews.set(outer, inner);
    return { records: page.records, cursor: outer, done: false };
  };

  const windowOf = (
    cursor: ActivitiesCursor,
    dateMs: number,
    added: number,
  ): Pick<ActivitiesCursor, 'window' | 'windowCount'> => {
    const month = iso(dateMs).slice(0, 7);
    const day = iso(dateMs).slice(0, 10);
    const current = cursor.window ?? '';
    const sameMonth = current.startsWith(month);
    const count = (sameMonth ? (cursor.windowCount ?? 0) : 0) + added;
    if (count > o.dailySplitThreshold || (sameMonth && current.length === 10)) {
      return { window: day, windowCount: current === day ? count : added };
    }
    return { window: month, windowCount: count };
  };

  return {
    name,
    topic: o.topic,
    eventType: 'io.marketostream.activity',
    // A re-read from a held token starts up to a grain before its window (see tokenFrom).
    lookbackMs: dedupeWindowMs(o.schedule) + RING_GRAIN_MS,
    schema: () => activitySchema,
    ...dated,
    initialCursor(now) {
      const plan = o.backfill && planBulkBackfill({ ...o.backfill, startDate: o.startDate, now });
      return { ...dated.initialCursor(now), ...(plan ? { bulk: plan } : {}) };
    },
    // A deep window's job in progress is resumed by the next page of this pass, or of the next one.
    inPass: (cursor) => dated.inPass(cursor) || bulkPhaseActive(cursor.bulk),
    beginPass(cursor, now) {
      const next = { ...dated.beginPass(cursor, now), deepParked: undefined };
      const first = cursor.passStartedAt === undefined && cursor.maxActivityDate === undefined;
      return first || next.passKind === 'tail' ? next : lookbackStart(cursor, next, now);
    },

    async fetchPage(cursor, ctx: StreamContext): Promise<FetchedPage<ActivityRecord, ActivitiesCursor>> {
      // The history before the handover point goes through the bulk phase; REST from there on.
      if (bulkPhaseActive(cursor.bulk)) return bulkPhase(ctx).fetchPage(cursor, ctx);
      if (bulkPhaseActive(cursor.deepBulk) && !cursor.deepParked) return deepPage(cursor, ctx);
      let ring = cursor.heldTokens;
      const hold = (at: string, token: string) => {
        ring = rememberToken(ring, { at, token }, ctx.clock.now(), ringShape);
      };
      const page = await datedPage(
        { ...o, lookbackMs: o.schedule.lookbackMs, name, onFreshToken: hold },
        cursor,
        ctx,
        (token) =>
          getActivitiesPage(o.client, { nextPageToken: token, activityTypeIds: o.group.request, signal: ctx.signal }),
      );
      const records = page.result;
      const next = afterDatedPage(cursor, page, true);
      const windowed =
        records.length > 0 && next.maxActivityDate
          ? windowOf(cursor, parseMarketoDate(next.maxActivityDate), records.length)
          : {};
      const caughtUp = page.moreResult !== true;
      if (caughtUp && next.heldToken) hold(iso(ctx.clock.now()), next.heldToken);
      const moved: ActivitiesCursor = {
        ...next,
        ...windowed,
        ...(ring ? { heldTokens: ring } : {}),
        // New activities only: the backfill's history and the look-backs' re-reads say nothing of a
        // day's density.
        rowsSinceDeep:
          (cursor.rowsSinceDeep ?? 0) +
          (cursor.phase === 'incremental' ? newerThan(records, cursor.maxActivityDate) : 0),
      };
      return { records, cursor: moved, done: caughtUp };
    },

    afterCommit: (records) => {
      bulk?.committed(records);
      deep?.committed(records);
    },

    toRecord(raw, pulledAt): OutgoingRecord {
      // A bulk file row that could not be read: to the dead-letter topic, with its reason.
      if (isRejectedRow(raw)) throw new Error(raw.reason);
      const typeName = o.typeNames.get(raw.activityTypeId) ?? `type ${raw.activityTypeId}`;
      const value = toActivityRecord(raw, { typeName, instance: o.instance, connection: o.connection, pulledAt });
      return { key: recordKey(o.instance, raw.leadId), value, id: value.marketoGUID, time: value.activityDate };
    },
  };
}
