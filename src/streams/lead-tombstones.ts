import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { parseMarketoDate } from '../marketo/index.ts';
import { recordKey } from '../schemas/index.ts';
import { afterDatedPage, type DatedCursor, datedCursorRules, datedPage } from './dated-paging.ts';
import { effectiveLookbackMs } from './pass-start.ts';
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
    lookbackMs: effectiveLookbackMs(o.lookbackMs),
    schema: () => o.schema,
    ...datedCursorRules(o),
    async fetchPage(cursor, ctx) {
      const page = await datedPage(o, cursor, ctx, (token) => o.fetch(token, ctx));
      return { records: o.gone(page.result), cursor: afterDatedPage(cursor, page), done: page.moreResult !== true };
    },
    toRecord: (raw) => ({
      key: recordKey(o.instance, raw.leadId),
      value: null,
      id: raw.id,
      time: parseMarketoDate(raw.activityDate),
    }),
  };
}
