import type { Kafka } from 'kafkajs';
import { readTopicSlice } from '../kafka/index.ts';
import type { MarketoLead } from '../marketo/index.ts';
import { CE_SOURCE, CE_TIME, cloudEventSource, decodeRecordKey, STREAM_HEADER } from '../schemas/index.ts';
import { fetchedLeadStreamParts, fetchLeads, LEADS_PER_CALL, type LeadStreamOptions } from './leads.ts';
import type { StreamContext, StreamCursor, StreamDefinition } from './stream.ts';

/** Cursor of the activity-driven leads stream: how far the activities topic has been consumed. */
export interface LeadsByActivityCursor extends StreamCursor {
  /** Activities-topic partition → next offset to read (partitions not named: from their start). */
  offsets: Record<string, number>;
}

export interface LeadsByActivityOptions extends LeadStreamOptions {
  kafka: Kafka;
  activitiesTopic: string;
  /** Activity records read per topic slice (bounds memory). Default 50,000. */
  sliceRecords?: number;
}

/** The stream name of activity-driven leads. */
export const LEADS_BY_ACTIVITY_STREAM = 'leads.by-activity';

/** One leads.json call's worth of a slice: its lead ids, and where the topic stands once they are published. */
export interface LeadChunk {
  ids: number[];
  after: Record<string, number>;
}

/** An activity of this connection seen on the topic. */
export interface TouchedLead {
  partition: number;
  offset: number;
  leadId: number;
  /** activityDate, epoch ms. */
  time: number;
}

/**
 * Splits the touched leads of one topic slice (read from `from` to `end`) into calls of ≤ 300
 * distinct ids, skipping ids already taken in this slice and those `skip` rejects. Entries are
 * walked partition by partition in offset order, so each chunk's `after` offsets are exact: every
 * activity before them is covered by this or an earlier chunk, none after. The last chunk ends
 * at `end` (possibly with no ids, to move past activities that touched nobody new).
 */
export function planLeadChunks(
  touched: readonly TouchedLead[],
  from: Readonly<Record<string, number>>,
  end: Readonly<Record<string, number>>,
  skip: (leadId: number, time: number) => boolean = () => false,
): LeadChunk[] {
  const entries = [...touched].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const partitions = [...new Set([...Object.keys(end), ...Object.keys(from)].map(Number))].sort((a, b) => a - b);
  const chunks: LeadChunk[] = [];
  const taken = new Set<number>();
  let ids: number[] = [];
  for (const e of entries) {
    if (taken.has(e.leadId) || skip(e.leadId, e.time)) continue;
    if (ids.length === LEADS_PER_CALL) {
      const after: Record<string, number> = {};
      for (const p of partitions) {
        after[String(p)] =
          p < e.partition ? (end[String(p)] ?? 0) : p === e.partition ? e.offset : (from[String(p)] ?? 0);
      }
      chunks.push({ ids, after });
      ids = [];
    }
    taken.add(e.leadId);
    ids.push(e.leadId);
  }
  chunks.push({ ids, after: { ...from, ...end } });
  return chunks;
}

/**
 * Bytes per fetch of the activities topic: the stream reads the history while the backfill writes
 * it, and kafkajs's default (10 MB a fetch, decoded whole) raised the service's peak memory with it.
 */
const FETCH_BYTES = 2 * 1024 * 1024;

/** Topic slices read at most to fill one leads.json call (20 × 50,000 activities by default). */
const MAX_SLICES_PER_CALL = 20;

/** For each lead in `ids`, the first activity (by partition and offset) that `skip` does not reject: the one a plan takes. */
function firstTouches(
  touched: readonly TouchedLead[],
  ids: ReadonlySet<number>,
  skip: (leadId: number, time: number) => boolean,
): TouchedLead[] {
  const first = new Map<number, TouchedLead>();
  for (const e of touched) {
    if (!ids.has(e.leadId) || skip(e.leadId, e.time)) continue;
    const seen = first.get(e.leadId);
    if (!seen || e.partition < seen.partition || (e.partition === seen.partition && e.offset < seen.offset))
      first.set(e.leadId, e);
  }
  return [...first.values()];
}

const sameOffsets = (a: Record<string, number>, b: Record<string, number>) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
};

/**
 * Leads that appear in the activities this connection published: the stream reads the committed
 * records of the activities TOPIC (ce_source of this instance, `activities.*` streams) from its
 * cursor's offsets, and fetches their leads 300 per leads.json call, each chunk published with
 * the advanced offsets as its checkpoint. So it is crash-safe and exactly-once by construction,
 * and a lead is fetched at most once per slice (and not again when a later activity of it is
 * older than its last fetch, or once leads.json did not return it). A pass reads slices until the
 * topic's end; slices that hold less than one call's worth of leads to fetch are read together
 * (up to {@link MAX_SLICES_PER_CALL}), so calls are full even when most leads need no fetch.
 */
export function leadsByActivityStream(o: LeadsByActivityOptions): StreamDefinition<MarketoLead, LeadsByActivityCursor> {
  const name = LEADS_BY_ACTIVITY_STREAM;
  const source = cloudEventSource(o.instance);
  const sliceRecords = o.sliceRecords ?? 50_000;
  // Chunks planned from the last slice read, and the offsets the first of them starts at.
  let queue: LeadChunk[] = [];
  let queueFrom: Record<string, number> = {};
  let sliceComplete = false;

  const readSlice = async (from: Record<string, number>, ctx: StreamContext) => {
    const skip = (id: number, time: number) => o.fetchLog.fetchedSince(id, time);
    let touched: TouchedLead[] = [];
    let at = from;
    let slices = 0;
    for (;;) {
      const slice = await readTopicSlice(o.kafka, o.activitiesTopic, {
        from: at,
        maxRecords: sliceRecords,
        maxBytes: FETCH_BYTES,
        onMessage: (m, partition) => {
          const h = m.headers ?? {};
          if (String(h[CE_SOURCE] ?? '') !== source || !String(h[STREAM_HEADER] ?? '').startsWith('activities.'))
            return;
          const leadId = Number(decodeRecordKey(m.key?.toString() ?? '')?.id);
          if (!Number.isSafeInteger(leadId) || leadId <= 0) return;
          touched.push({
            partition,
            offset: Number(m.offset),
            leadId,
            time: Date.parse(String(h[CE_TIME] ?? '')) || 0,
          });
        },
      });
      slices++;
      queue = planLeadChunks(touched, from, slice.next, skip);
      sliceComplete = slice.complete;
      if (slice.complete) break;
      // A short last chunk of a slice that did not reach the end is left for the next slice (read
      // again from where the previous chunk ends), so calls stay full.
      if (queue.length > 1) {
        queue.pop();
        break;
      }
      // The whole range read so far holds less than one call's worth of leads to fetch (most
      // leads already fetched, in the snapshot, or gone): read on, keeping only the activities
      // that bring those leads, so the call fills up. Bounded, so a checkpoint still comes.
      const ids = new Set(queue[0]!.ids);
      if (ids.size === 0 || slices >= MAX_SLICES_PER_CALL) break;
      touched = firstTouches(touched, ids, skip);
      at = slice.next;
    }
    queueFrom = from;
    ctx.logger.debug({ slices, chunks: queue.length, complete: sliceComplete }, 'activities slice planned');
  };

  return {
    ...fetchedLeadStreamParts(o, name),
    initialCursor: (now) => ({ seq: 0, phase: 'backfill', offsets: {}, updatedAt: new Date(now).toISOString() }),
    // A pass holds nothing but offsets: a resumed pass is simply the next one.
    inPass: () => false,
    beginPass: (cursor) => cursor,
    async fetchPage(cursor, ctx) {
      if (queue.length === 0 || !sameOffsets(queueFrom, cursor.offsets)) await readSlice(cursor.offsets, ctx);
      const chunk = queue.shift()!;
      queueFrom = chunk.after;
      const done = queue.length === 0 && sliceComplete;
      return {
        records: await fetchLeads(o, chunk.ids, ctx),
        cursor: { ...cursor, offsets: chunk.after, phase: done ? 'incremental' : cursor.phase },
        done,
      };
    },
  };
}
