import type { MarketoClient, MarketoDeletedLead } from '../marketo/index.ts';
import { getDeletedLeadsPage, parseMarketoDate } from '../marketo/index.ts';
import { EventTypes, recordKey } from '../schemas/index.ts';
import { type DatedCursor, datedPage, datedPassStart, newestDate } from './leads.ts';
import type { StreamDefinition } from './stream.ts';

export interface DeletedLeadsStreamOptions {
  client: MarketoClient;
  /** The leads topic: tombstones go where the leads are. */
  topic: string;
  instance: string;
  /** The lead schema (registered for the topic; tombstones carry no value). */
  schema: object;
  startDate: string;
  lookbackMs: number;
}

/** The stream name of deleted leads. */
export const DELETED_LEADS_STREAM = 'leads.deleted';

/**
 * Deleted leads (`activities/deletedleads.json`, type 37) as tombstones on the leads topic: key
 * `<instance>:<leadId>`, null value, id = the deletion's marketoGUID. Paged by a date-based token
 * like activities; each later pass re-reads one look-back window (already-published deletions are
 * recognised by marketoGUID). Marketo may prune deletions older than 14 days.
 */
export function deletedLeadsStream(o: DeletedLeadsStreamOptions): StreamDefinition<MarketoDeletedLead, DatedCursor> {
  const name = DELETED_LEADS_STREAM;
  return {
    name,
    topic: o.topic,
    eventType: `${EventTypes.lead}.deleted`,
    lookbackMs: o.lookbackMs,
    schema: () => o.schema,
    initialCursor: (now) => ({
      seq: 0,
      phase: 'backfill',
      sinceDate: o.startDate,
      updatedAt: new Date(now).toISOString(),
    }),
    inPass: (cursor) => cursor.nextPageToken !== undefined,
    beginPass: (cursor, now) => ({
      ...cursor,
      sinceDate: datedPassStart(cursor, o.startDate, o.lookbackMs),
      passStartedAt: new Date(now).toISOString(),
    }),
    async fetchPage(cursor, ctx) {
      const page = await datedPage({ ...o, name }, cursor, ctx, (token) =>
        getDeletedLeadsPage(o.client, { nextPageToken: token, signal: ctx.signal }),
      );
      const done = page.moreResult !== true;
      return {
        records: page.result,
        cursor: {
          ...cursor,
          nextPageToken: done ? undefined : page.nextPageToken,
          maxActivityDate: newestDate(cursor.maxActivityDate, page.result),
          phase: done ? 'incremental' : cursor.phase,
        },
        done,
      };
    },
    toRecord: (raw) => ({
      key: recordKey(o.instance, raw.leadId),
      value: null,
      id: raw.marketoGUID,
      time: parseMarketoDate(raw.activityDate),
    }),
  };
}
