import type { MarketoDeletedLead } from '../marketo/index.ts';
import { getDeletedLeadsPage } from '../marketo/index.ts';
import { EventTypes } from '../schemas/index.ts';
import {
  type GoneLead,
  type LeadTombstoneCursor,
  type LeadTombstoneStreamOptions,
  leadTombstoneStream,
} from './lead-tombstones.ts';
import type { StreamDefinition } from './stream.ts';

export type DeletedLeadsStreamOptions = LeadTombstoneStreamOptions;

/** The stream name of deleted leads. */
export const DELETED_LEADS_STREAM = 'leads.deleted';

/**
 * Deleted leads (`activities/deletedleads.json`, type 37) as tombstones on the leads topic: key
 * `<instance>:<leadId>`, null value, id = the deletion's marketoGUID. Paged by a date-based token
 * like activities; each later pass re-reads one look-back window (already-published deletions are
 * recognised by marketoGUID). Marketo may prune deletions older than 14 days.
 */
export function deletedLeadsStream(o: DeletedLeadsStreamOptions): StreamDefinition<GoneLead, LeadTombstoneCursor> {
  return leadTombstoneStream<MarketoDeletedLead>({
    ...o,
    name: DELETED_LEADS_STREAM,
    eventType: `${EventTypes.lead}.deleted`,
    fetch: (token, ctx) => getDeletedLeadsPage(o.client, { nextPageToken: token, signal: ctx.signal }),
    gone: (records) => records.map((r) => ({ leadId: r.leadId, activityDate: r.activityDate, id: r.marketoGUID })),
  });
}
