import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { MarketoLead, MarketoLeadField } from '../marketo/index.ts';
import { getLeadChangesPage, parseMarketoDate } from '../marketo/index.ts';
import type { ActivitiesBackfillOptions } from './activities.ts';
import { bulkPhaseActive, planBulkBackfill } from './backfill-plan.ts';
import { BulkBackfill, type BulkPhaseCursor, isRejectedRow } from './bulk-backfill.ts';
import { afterDatedPage, datedCursorRules, datedPage } from './dated-paging.ts';
import { type LeadSnapshotRecord, leadSnapshotSource } from './lead-snapshot.ts';
import type { LeadSnapshotGate } from './lead-snapshot-gate.ts';
import {
  fetchedLeadStreamParts,
  fetchLeads,
  LEADS_PER_CALL,
  type LeadStreamOptions,
  requestedLeadFields,
} from './leads.ts';
import type { StreamContext, StreamDefinition } from './stream.ts';

/** Cursor of the lead-changes stream (with the bulk lead snapshot's phase while it runs). */
export interface LeadChangesCursor extends BulkPhaseCursor {
  /** Changed leads found but not fetched yet (more than one call's worth came in). */
  pending?: number[];
}

/** The stream name of changed leads. */
export const LEAD_CHANGES_STREAM = 'leads.changes';

/**
 * leadchanges.json pages read at most per published page: a long run of changes to leads already
 * fetched still checkpoints (the ids gathered so far wait in the cursor).
 */
const MAX_CHANGE_PAGES_PER_FETCH = 10;

/**
 * The fields to ask leadchanges.json for: of the requested ones, those describe2 lists (Marketo
 * takes field names from the lead description there; one it does not know fails the call with
 * 1006). Fails naming the fields when none is left.
 */
export function leadChangeFields(requested: readonly string[], described: readonly MarketoLeadField[]): string[] {
  const listed = new Set(described.map((f) => f.name));
  const fields = requested.filter((name) => listed.has(name));
  if (fields.length === 0) {
    throw new MarketoStreamError(
      ErrorCodes.CONFIG_UNKNOWN_LEAD_FIELD,
      `leadFields: none of ${requested.join(', ')} is in leads/describe2.json, so lead changes cannot be asked for`,
      { field: 'leadFields' },
    );
  }
  return fields;
}

/**
 * Leads that changed (`activities/leadchanges.json`: New Lead and Change Data Value of the
 * configured fields), whether or not a tracked activity mentions them. Change records are paged
 * by a date-based token from the start date; their lead ids are gathered (across checkpoints,
 * in the cursor) until 300 distinct ones or the end, then fetched with ONE leads.json call and
 * published. A lead already fetched after
 * its change (by this stream or the activity-driven one) is not fetched again. Each later pass
 * starts one look-back window behind the newest change seen.
 *
 * With `snapshot` (backfill method `auto` or `bulk`), the history before the handover point (the
 * start of the day the backfill began) is a bulk lead snapshot first ({@link leadSnapshotSource},
 * the planner choosing bulk or REST per window as for activities), checkpointed in the cursor's
 * `bulk`; the change pages then start at the handover point. The snapshot's windows begin at
 * `snapshot.since` (see leadSnapshotSince; the start date when absent). `gate` hears of the
 * snapshot's committed progress (the tombstone streams wait on it).
 */
export function leadChangesStream(
  o: LeadStreamOptions,
  snapshot?: ActivitiesBackfillOptions & { since?: string },
  gate?: LeadSnapshotGate,
): StreamDefinition<LeadSnapshotRecord, LeadChangesCursor> {
  const name = LEAD_CHANGES_STREAM;
  const requested = requestedLeadFields(o.plan);
  const fields = o.describedFields ? leadChangeFields(requested, o.describedFields) : requested;
  const dated = datedCursorRules<LeadChangesCursor>(o);
  const parts = fetchedLeadStreamParts(o, name);
  let bulk: BulkBackfill<LeadChangesCursor, LeadSnapshotRecord> | undefined;
  const snapshotPhase = (ctx: StreamContext) => {
    bulk ??= new BulkBackfill<LeadChangesCursor, LeadSnapshotRecord>(
      { ...snapshot!, client: o.client, source: leadSnapshotSource({ ...o, name }), name, connection: o.connection },
      ctx,
    );
    return bulk;
  };
  /** The page that finishes the snapshot, until it is committed (known by its records array). */
  let handover: { records: readonly LeadSnapshotRecord[]; handoverAt: string } | undefined;
  return {
    ...parts,
    toRecord(raw, pulledAt) {
      // A bulk file row that could not be read: to the dead-letter topic, with its reason.
      if (isRejectedRow(raw)) throw new Error(raw.reason);
      return parts.toRecord(raw, pulledAt);
    },
    afterCommit(records) {
      bulk?.committed(records);
      if (handover?.records === records) {
        gate?.finished(handover.handoverAt);
        handover = undefined;
      }
      parts.afterCommit?.(records.filter((r): r is MarketoLead => !isRejectedRow(r)));
    },
    initialCursor(now) {
      const plan = snapshot && planBulkBackfill({ ...snapshot, startDate: snapshot.since ?? o.startDate, now });
      return { ...dated.initialCursor(now), ...(plan ? { bulk: plan } : {}) };
    },
    inPass(cursor) {
      // The runner asks this of the committed cursor (restored, or after a commit) as a pass begins.
      gate?.committedCursor(cursor.bulk);
      return dated.inPass(cursor) || (cursor.pending?.length ?? 0) > 0 || bulkPhaseActive(cursor.bulk);
    },
    beginPass: (cursor, now) => ({ ...dated.beginPass(cursor, now), pending: undefined }),
    async fetchPage(cursor, ctx) {
      if (bulkPhaseActive(cursor.bulk)) {
        const page = await snapshotPhase(ctx).fetchPage(cursor, ctx);
        const b = page.cursor.bulk;
        if (b?.finished) handover = { records: page.records, handoverAt: b.handoverAt };
        return page;
      }
      const ids = [...(cursor.pending ?? [])];
      const wanted = new Set(ids);
      let next: LeadChangesCursor = { ...cursor };
      // Pending ids without a token: the change pages are exhausted, only the fetch is left.
      let more = cursor.nextPageToken !== undefined || ids.length === 0;
      for (let pages = 0; more && ids.length < LEADS_PER_CALL && pages < MAX_CHANGE_PAGES_PER_FETCH; pages++) {
        const page = await datedPage({ ...o, name }, next, ctx, (token) =>
          getLeadChangesPage(o.client, { nextPageToken: token, fields, signal: ctx.signal }),
        );
        for (const change of page.result) {
          if (
            wanted.has(change.leadId) ||
            o.fetchLog.fetchedSince(change.leadId, parseMarketoDate(change.activityDate))
          )
            continue;
          wanted.add(change.leadId);
          ids.push(change.leadId);
        }
        more = page.moreResult === true;
        next = afterDatedPage(next, page);
      }
      // Fetch only full calls, or what is left at the end: a short call costs as much as a full one.
      const batch = ids.length >= LEADS_PER_CALL || !more ? ids.slice(0, LEADS_PER_CALL) : [];
      const rest = ids.slice(batch.length);
      const done = !more && rest.length === 0;
      return {
        records: await fetchLeads(o, batch, ctx),
        cursor: { ...next, pending: rest.length > 0 ? rest : undefined, phase: done ? 'incremental' : cursor.phase },
        done,
      };
    },
  };
}
