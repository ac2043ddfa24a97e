import type { ExportBudget } from '../bulk/index.ts';
import type { MarketoClient } from '../marketo/index.ts';
import { getActivitiesPage, parseMarketoDate } from '../marketo/index.ts';
import { activitySchema, recordKey, toActivityRecord } from '../schemas/index.ts';
import { type ActivityGroup, activityGroupName } from './activity-groups.ts';
import { type BackfillMethod, bulkPhaseActive, planBulkBackfill } from './backfill-plan.ts';
import {
  type ActivityRecord,
  activitySource,
  BulkBackfill,
  type BulkPhaseCursor,
  isRejectedRow,
} from './bulk-backfill.ts';
import { afterDatedPage, type DatedCursor, datedCursorRules, datedPage } from './dated-paging.ts';
import { dedupeWindowMs, type LookbackSchedule } from './lookback-schedule.ts';
import type { FetchedPage, OutgoingRecord, StreamContext, StreamDefinition } from './stream.ts';

/**
 * Cursor of one activity group: a dated cursor plus the backfill window it stands in, and (while
 * the history goes through Bulk Extract) the bulk phase with its job in progress.
 */
export interface ActivitiesCursor extends DatedCursor, BulkPhaseCursor {
  /** Backfill window the cursor stands in: a month (`2025-03`), or a day (`2025-03-14`) in a large month. */
  window?: string;
  /** Activities published in that window so far (decides the day split). */
  windowCount?: number;
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
    lookbackMs: dedupeWindowMs(o.schedule),
    schema: () => activitySchema,
    ...dated,
    initialCursor(now) {
      const plan = o.backfill && planBulkBackfill({ ...o.backfill, startDate: o.startDate, now });
      return { ...dated.initialCursor(now), ...(plan ? { bulk: plan } : {}) };
    },
    inPass: (cursor) => dated.inPass(cursor) || bulkPhaseActive(cursor.bulk),

    async fetchPage(cursor, ctx: StreamContext): Promise<FetchedPage<ActivityRecord, ActivitiesCursor>> {
      // The history before the handover point goes through the bulk phase; REST from there on.
      if (bulkPhaseActive(cursor.bulk)) return bulkPhase(ctx).fetchPage(cursor, ctx);
      const page = await datedPage({ ...o, lookbackMs: o.schedule.lookbackMs, name }, cursor, ctx, (token) =>
        getActivitiesPage(o.client, { nextPageToken: token, activityTypeIds: o.group.request, signal: ctx.signal }),
      );
      const records = page.result;
      const next = afterDatedPage(cursor, page, true);
      const windowed =
        records.length > 0 && next.maxActivityDate
          ? windowOf(cursor, parseMarketoDate(next.maxActivityDate), records.length)
          : {};
      return { records, cursor: { ...next, ...windowed }, done: page.moreResult !== true };
    },

    afterCommit: (records) => bulk?.committed(records),

    toRecord(raw, pulledAt): OutgoingRecord {
      // A bulk file row that could not be read: to the dead-letter topic, with its reason.
      if (isRejectedRow(raw)) throw new Error(raw.reason);
      const typeName = o.typeNames.get(raw.activityTypeId) ?? `type ${raw.activityTypeId}`;
      const value = toActivityRecord(raw, { typeName, instance: o.instance, connection: o.connection, pulledAt });
      return { key: recordKey(o.instance, raw.leadId), value, id: value.marketoGUID, time: value.activityDate };
    },
  };
}
