import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { parseMarketoDate } from '../marketo/index.ts';
import { recordKey } from '../schemas/index.ts';
import { type DatedCursor, datedPage, datedPassStart, newestDate } from './dated-paging.ts';
import type { StreamContext, StreamDefinition } from './stream.ts';

/** What every tombstone stream of the leads topic is given. */
export interface LeadTombstoneStreamOptions {
  client: MarketoClient;
  /** The leads topic: tombstones go where the leads are. */
  topic: string;
  instance: string;
  /** The lead schema (registered for the topic; tombstones carry no value). */
  schema: object;
  startDate: string;
  lookbackMs: number;
}

/** One lead that is gone, and the Marketo record that says so. */
export interface GoneLead {
  leadId: number;
  activityDate: string;
  /** Identity of the published tombstone (de-duplication inside the look-back window). */
  id: string;
}

/**
 * Leads that are gone (deleted, merged away) as tombstones on the leads topic: key
 * `<instance>:<leadId>`, null value. Paged by a date-based token from the start date; each later
 * pass re-reads one look-back window, and tombstones already published are recognised by id.
 * `fetch` asks Marketo for the page at a token; `gone` turns its records into the leads gone.
 */
export function leadTombstoneStream<T extends { activityDate: string }>(
  o: LeadTombstoneStreamOptions & {
    name: string;
    eventType: string;
    fetch: (token: string, ctx: StreamContext) => Promise<MarketoResponse<T>>;
    gone: (records: readonly T[]) => GoneLead[];
  },
): StreamDefinition<GoneLead, DatedCursor> {
  return {
    name: o.name,
    topic: o.topic,
    eventType: o.eventType,
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
      const page = await datedPage(o, cursor, ctx, (token) => o.fetch(token, ctx));
      const done = page.moreResult !== true;
      return {
        records: o.gone(page.result),
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
      id: raw.id,
      time: parseMarketoDate(raw.activityDate),
    }),
  };
}
