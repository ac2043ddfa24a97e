import { newJobState, readBulkLeadWindow } from '../bulk/index.ts';
import type { MarketoLead } from '../marketo/index.ts';
import { getActivitiesPage, getPagingToken, parseMarketoDate } from '../marketo/index.ts';
import { estimateFromPage } from './backfill-plan.ts';
import { type BackfillSource, type RejectedBulkRow, rejectedOf, restWindowCursor } from './bulk-backfill.ts';
import { datedPage } from './dated-paging.ts';
import { fetchLeads, type LeadStreamOptions, requestedLeadFields } from './leads.ts';

/** What the lead stream publishes during the snapshot: leads, and (from bulk files) rows to dead-letter. */
export type LeadSnapshotRecord = MarketoLead | RejectedBulkRow;

/** Marketo's New Lead activity: logged when a lead is created, so its date is the lead's `createdAt`. */
export const NEW_LEAD_TYPE_ID = 12;

/**
 * The lead snapshot of a connection's backfill: every lead created from the start date to the
 * handover point, with the configured fields, window by window on `createdAt`. A bulk window is a
 * lead export of the fields leads.json is asked for (plus `createdAt`, which places each row in
 * its window and is dropped again when not configured), so each row is the leads.json record of
 * the same lead. A REST window (sparse, a spent export budget, or an instance that refuses the
 * filter) reads the window's New Lead activities and fetches their leads by id, 300 per call.
 * Windows share their boundary second (Marketo's filters include both ends): a lead created on it
 * belongs to the earlier window only, so no lead is published twice. Published leads are noted in
 * the fetch log at their export's creation, so the other lead streams do not fetch them again for
 * anything older.
 */
export function leadSnapshotSource(o: LeadStreamOptions & { name: string }): BackfillSource<LeadSnapshotRecord> {
  const fields = requestedLeadFields(o.plan);
  const exported = fields.includes('createdAt') ? fields : [...fields, 'createdAt'];
  /** True when `created` lies in the window (its start excluded but for the phase's first window). */
  const inWindow = (window: { startAt: string; endAt: string; first: boolean }, created: number) => {
    const start = parseMarketoDate(window.startAt);
    return created <= parseMarketoDate(window.endAt) && (created > start || window.first);
  };
  const newLeads = async (client: LeadStreamOptions['client'], token: string, signal: AbortSignal) =>
    getActivitiesPage(client, { nextPageToken: token, activityTypeIds: [NEW_LEAD_TYPE_ID], signal });

  return {
    kind: 'leads',
    newJob: (window) => newJobState('leads', window, undefined, exported),
    async probe(client, window, ctx) {
      const page = await newLeads(client, await getPagingToken(client, window.startAt, ctx.signal), ctx.signal);
      const dates = (page.result ?? []).map((a) => parseMarketoDate(a.activityDate));
      return estimateFromPage(window, { dates, more: page.moreResult === true });
    },
    async *readJob(job, deps, signal, first) {
      const window = { ...job.window, first };
      for await (const step of readBulkLeadWindow(job, deps, signal)) {
        const leads: MarketoLead[] = [];
        for (const lead of step.rows) {
          const created = typeof lead.createdAt === 'string' ? Date.parse(lead.createdAt) : Number.NaN;
          // A row without a readable createdAt is kept: the record's conversion judges it.
          if (!Number.isNaN(created) && !inWindow(window, created)) continue;
          if (!fields.includes('createdAt')) delete lead.createdAt;
          leads.push(lead);
        }
        // The file holds each lead as it stood when the export ran, after the job was created.
        if (step.state.createdAt) o.fetchLog.snapshotted(leads, Date.parse(step.state.createdAt));
        yield { records: [...leads, ...rejectedOf(step.rejected)], state: step.state };
      }
    },
    async restPage(client, window, rest, ctx) {
      const page = await datedPage({ ...o, client }, restWindowCursor(rest), ctx, (token) =>
        newLeads(client, token, ctx.signal),
      );
      const all = page.result ?? [];
      const end = parseMarketoDate(window.endAt);
      const ids = [
        ...new Set(all.filter((a) => inWindow(window, parseMarketoDate(a.activityDate))).map((a) => a.leadId)),
      ];
      const finished = all.some((a) => parseMarketoDate(a.activityDate) > end) || page.moreResult !== true;
      const at = ctx.clock.now();
      const leads = await fetchLeads({ ...o, client }, ids, ctx);
      o.fetchLog.snapshotted(leads, at);
      return { records: leads, nextPageToken: page.nextPageToken, finished };
    },
  };
}
