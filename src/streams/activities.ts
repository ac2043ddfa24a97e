import type { MarketoActivity, MarketoClient } from '../marketo/index.ts';
import { getActivitiesPage, parseMarketoDate } from '../marketo/index.ts';
import { activitySchema, recordKey, toActivityRecord } from '../schemas/index.ts';
import { type ActivityGroup, activityGroupName } from './activity-groups.ts';
import { afterDatedPage, type DatedCursor, datedCursorRules, datedPage } from './dated-paging.ts';
import { effectiveLookbackMs } from './pass-start.ts';
import type { FetchedPage, OutgoingRecord, StreamContext, StreamDefinition } from './stream.ts';

/** Cursor of one activity group: a dated cursor plus the backfill window it stands in. */
export interface ActivitiesCursor extends DatedCursor {
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
  lookbackMs: number;
  /** A month with more activities than this is labelled, and checkpointed, by day. */
  dailySplitThreshold: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The activities of one group of ≤ 10 types: a date-based paging token from `sinceDate`, then
 * pages of 300 in series until `moreResult` is false. The first pass is the backfill from the
 * start date; each later pass starts one look-back window behind the later of the newest activity
 * and the last pass's start (the dated streams' one rule), so late arrivals are caught (the runner
 * drops those already published, by marketoGUID).
 * A stored paging token that Marketo rejects is replaced by a fresh one from the stored date.
 */
export function activitiesStream(o: ActivitiesStreamOptions): StreamDefinition<MarketoActivity, ActivitiesCursor> {
  const name = activityGroupName(o.group.ids);

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
    lookbackMs: effectiveLookbackMs(o.lookbackMs),
    schema: () => activitySchema,
    ...datedCursorRules<ActivitiesCursor>(o),

    async fetchPage(cursor, ctx: StreamContext): Promise<FetchedPage<MarketoActivity, ActivitiesCursor>> {
      const page = await datedPage({ ...o, name }, cursor, ctx, (token) =>
        getActivitiesPage(o.client, { nextPageToken: token, activityTypeIds: o.group.request, signal: ctx.signal }),
      );
      const records = page.result;
      const next = afterDatedPage(cursor, page);
      const windowed =
        records.length > 0 && next.maxActivityDate
          ? windowOf(cursor, parseMarketoDate(next.maxActivityDate), records.length)
          : {};
      return { records, cursor: { ...next, ...windowed }, done: page.moreResult !== true };
    },

    toRecord(raw, pulledAt): OutgoingRecord {
      const typeName = o.typeNames.get(raw.activityTypeId) ?? `type ${raw.activityTypeId}`;
      const value = toActivityRecord(raw, { typeName, instance: o.instance, connection: o.connection, pulledAt });
      return { key: recordKey(o.instance, raw.leadId), value, id: value.marketoGUID, time: value.activityDate };
    },
  };
}
