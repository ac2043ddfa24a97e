import type { MarketoActivity } from '../marketo/index.ts';
import { getActivitiesPage } from '../marketo/index.ts';
import { EventTypes } from '../schemas/index.ts';
import {
  type GoneLead,
  type LeadTombstoneCursor,
  type LeadTombstoneStreamOptions,
  leadTombstoneStream,
} from './lead-tombstones.ts';
import type { StreamDefinition } from './stream.ts';

export type MergedLeadsStreamOptions = LeadTombstoneStreamOptions;

/** The stream name of merged-away leads. */
export const MERGED_LEADS_STREAM = 'leads.merged';

/** Marketo's "Merge Leads" activity type. */
export const MERGE_LEADS_TYPE_ID = 32;

/** One lead merged away by one Merge Leads activity (an activity may merge several). */
export interface MergedLead {
  /** The Merge Leads activity's marketoGUID. */
  marketoGUID: string;
  activityDate: string;
  /** The merged-away (losing) lead. */
  leadId: number;
  /** The surviving lead the activity is recorded on. */
  winnerId: number;
}

/**
 * The lead ids of a "Merge IDs" attribute value, whichever form it takes: a JSON-array text
 * (`"[123,456]"`, also with quoted ids), a comma-separated text (`"123,456"`), a bare number, or an
 * array. Non-ids are dropped.
 */
export function mergeIds(value: unknown): number[] {
  const parts: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'number'
      ? [value]
      : typeof value === 'string'
        ? value.replace(/[[\]\s"']/g, '').split(',')
        : [];
  return parts
    .map((p) => (typeof p === 'string' && p.trim() !== '' ? Number(p) : p))
    .filter((n): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0);
}

/** The leads merged away by a Merge Leads activity (none when it names no id). */
export function mergedLeads(activity: MarketoActivity): MergedLead[] {
  const attr = activity.attributes?.find((a) => a.name.toLowerCase() === 'merge ids');
  return mergeIds(attr?.value)
    .filter((id) => id !== activity.leadId)
    .map((leadId) => ({
      marketoGUID: activity.marketoGUID,
      activityDate: activity.activityDate,
      leadId,
      winnerId: activity.leadId,
    }));
}

/**
 * Merged-away leads as tombstones on the leads topic, from Merge Leads activities (type 32, on the
 * winning lead; Marketo lists merged-away leads neither in leads.json nor in deletedleads.json):
 * one record per id in the "Merge IDs" attribute, key `<instance>:<leadId>`, null value, id
 * `<marketoGUID>:<leadId>`. Paged by a date-based token like deleted leads; each later pass
 * re-reads one look-back window (already-published merges are recognised by id).
 */
export function mergedLeadsStream(o: MergedLeadsStreamOptions): StreamDefinition<GoneLead, LeadTombstoneCursor> {
  return leadTombstoneStream<MarketoActivity>({
    ...o,
    name: MERGED_LEADS_STREAM,
    eventType: `${EventTypes.lead}.merged`,
    fetch: (token, ctx) =>
      getActivitiesPage(o.client, { nextPageToken: token, activityTypeIds: [MERGE_LEADS_TYPE_ID], signal: ctx.signal }),
    // One tombstone per merged-away lead (an activity may merge several).
    gone: (records) =>
      records
        .filter((a) => a.activityTypeId === MERGE_LEADS_TYPE_ID)
        .flatMap(mergedLeads)
        .map((m) => ({ leadId: m.leadId, activityDate: m.activityDate, id: `${m.marketoGUID}:${m.leadId}` })),
  });
}
