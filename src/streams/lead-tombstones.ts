import type { MarketoClient, MarketoResponse } from '../marketo/index.ts';
import { parseMarketoDate } from '../marketo/index.ts';
import { recordKey } from '../schemas/index.ts';
import { afterDatedPage, type DatedCursor, datedCursorRules, datedPage } from './dated-paging.ts';
import type { LeadSnapshotGate } from './lead-snapshot-gate.ts';
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
  /**
   * The connection's lead snapshot (backfill method `auto` or `bulk`): a stream that has never run
   * waits for it, then starts at its handover point (see {@link leadTombstoneStream}).
   */
  snapshot?: LeadSnapshotGate;
}

/** Cursor of a tombstone stream. */
export interface LeadTombstoneCursor extends DatedCursor {
  /** Waiting for the lead snapshot to be committed; then the stream starts at its handover point. */
  awaitingSnapshot?: boolean;
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
 *
 * With a lead snapshot, a stream that has never run publishes nothing (and calls nothing) until
 * the snapshot's last page is committed, then starts at the snapshot's handover point instead of
 * the start date. The snapshot holds only leads that existed when their window was exported (or
 * fetched), so a lead gone before the handover was never published and is owed no tombstone; one
 * gone after the handover gets its tombstone after its snapshot record, never before it (a
 * tombstone followed by the record would bring the lead back on the compacted topic). When the
 * backfill takes no snapshot (the start date is today, or a changes cursor from before the
 * snapshot), the stream starts at the start date as without one.
 */
export function leadTombstoneStream<T extends { activityDate: string }>(
  o: LeadTombstoneStreamOptions & {
    name: string;
    eventType: string;
    fetch: (token: string, ctx: StreamContext) => Promise<MarketoResponse<T>>;
    gone: (records: readonly T[]) => GoneLead[];
  },
): StreamDefinition<GoneLead, LeadTombstoneCursor> {
  const dated = datedCursorRules<LeadTombstoneCursor>(o);
  const page = async (cursor: LeadTombstoneCursor, ctx: StreamContext) => {
    const read = await datedPage(o, cursor, ctx, (token) => o.fetch(token, ctx));
    return { records: o.gone(read.result), cursor: afterDatedPage(cursor, read), done: read.moreResult !== true };
  };
  return {
    name: o.name,
    topic: o.topic,
    eventType: o.eventType,
    lookbackMs: effectiveLookbackMs(o.lookbackMs),
    schema: () => o.schema,
    ...dated,
    initialCursor: (now) => ({ ...dated.initialCursor(now), ...(o.snapshot ? { awaitingSnapshot: true } : {}) }),
    async fetchPage(cursor, ctx) {
      if (!cursor.awaitingSnapshot) return page(cursor, ctx);
      const snapshot = o.snapshot?.state ?? { state: 'none' };
      if (snapshot.state === 'unknown' || snapshot.state === 'running') {
        // The pass ends here (its checkpoint says the stream still waits); the next one asks again.
        return { records: [], cursor, done: true };
      }
      const finished = snapshot.state === 'finished';
      const since = finished ? snapshot.handoverAt : o.startDate;
      ctx.logger.info(
        { since },
        finished
          ? 'lead snapshot committed; tombstones start at its handover point'
          : 'the backfill takes no lead snapshot; tombstones start at the start date',
      );
      // The first page is read at once: the checkpoint that stops the wait holds its paging token,
      // so a restart resumes from the handover point, not from where a new pass would start.
      return page({ ...cursor, awaitingSnapshot: undefined, sinceDate: since, nextPageToken: undefined }, ctx);
    },
    toRecord: (raw) => ({
      key: recordKey(o.instance, raw.leadId),
      value: null,
      id: raw.id,
      time: parseMarketoDate(raw.activityDate),
    }),
  };
}
