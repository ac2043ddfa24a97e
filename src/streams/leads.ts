import type { Clock } from '../clock.ts';
import type { MarketoClient, MarketoLead, MarketoLeadField, MarketoResponse } from '../marketo/index.ts';
import { getLeadsByIds, LIMITS } from '../marketo/index.ts';
import { convertLeadValue, EventTypes, type LeadSchemaPlan, recordKey, toLeadRecord } from '../schemas/index.ts';
import { LeadIdSet } from './lead-id-set.ts';
import type { OutgoingRecord, StreamContext, StreamCursor, StreamDefinition } from './stream.ts';

/** Lead ids per leads.json call (Marketo's maximum). */
export const LEADS_PER_CALL = LIMITS.leadIds;

/**
 * What the lead streams of one connection know of leads already fetched, so a lead is not fetched
 * again for an event that its fetched state already holds:
 * - when each lead was last fetched (the instant just before the call), committed fetches only,
 *   for `retainMs`;
 * - the leads of the bulk lead snapshot (read as they stood when their export was created): the
 *   activity-driven stream reads the whole backfilled history after them, however long that takes;
 * - ids that leads.json did not return: leads deleted or merged away (Marketo deletes the losing
 *   lead of a merge), which no later call will return either, since Marketo never reuses an id.
 * The last two are kept for the process's life as sparse bitmaps ({@link LeadIdSet}), bounded by
 * the id range, not the lead count. Losing all of it (a restart) only costs extra calls.
 */
export class LeadFetchLog {
  readonly retainMs: number;
  #at = new Map<number, number>();
  /** Leads published by the bulk snapshot, with (a lower bound of) when their export was created. */
  #snapshotted = new LeadIdSet();
  /** Ids that leads.json answered without a record. */
  #gone = new LeadIdSet();
  /** Fetch instants of leads fetched but not yet committed. */
  #pending = new WeakMap<object, number>();

  constructor(retainMs: number) {
    this.retainMs = retainMs;
  }

  /**
   * True when nothing about lead `id` at `time` is left to fetch: it was fetched (and committed)
   * at or after `time`, so its state already holds what happened then, or it is gone.
   */
  fetchedSince(id: number, time: number): boolean {
    if (this.#gone.has(id)) return true;
    const at = this.#at.get(id) ?? this.#snapshotted.earliestAt(id);
    return at !== undefined && at >= time;
  }

  /** Remembers that `leads` were fetched at `at` (they count once committed). */
  fetched(leads: readonly object[], at: number): void {
    for (const lead of leads) this.#pending.set(lead, at);
  }

  /**
   * Notes ids that leads.json was asked for and did not return: they are gone for good. Noted at
   * once, not at a commit: it is what Marketo holds, not what was published.
   */
  notReturned(ids: readonly number[]): void {
    for (const id of ids) this.#gone.add(id);
  }

  /**
   * Records leads of the bulk lead snapshot, read as they stood at `at`, at once, not at their
   * commit: the change pages after the handover are fetched while the snapshot's last pages are
   * still on their way to Kafka. Safe, because a snapshot page that fails is fetched again and
   * published before its stream goes on (a restart loses this log, which only costs calls).
   */
  snapshotted(leads: readonly MarketoLead[], at: number): void {
    for (const lead of leads) this.#snapshotted.add(lead.id, at);
  }

  /** Records the committed leads, and forgets fetches older than the retention. */
  committed(leads: readonly MarketoLead[], now: number): void {
    for (const lead of leads) {
      const at = this.#pending.get(lead);
      if (at === undefined) continue;
      this.#at.delete(lead.id); // re-inserted last: the map stays in fetch order for eviction
      this.#at.set(lead.id, at);
    }
    for (const [id, at] of this.#at) {
      if (at >= now - this.retainMs) break;
      this.#at.delete(id);
    }
  }

  /** Ids noted as gone. */
  get goneCount(): number {
    return this.#gone.size;
  }

  get size(): number {
    return this.#at.size;
  }
}

/** What every lead stream shares. */
export interface LeadStreamOptions {
  client: MarketoClient;
  topic: string;
  instance: string;
  connection: string;
  /** The generated schema and its fields. */
  plan: LeadSchemaPlan;
  /** The instance's lead fields as describe2 lists them (which fields leadchanges.json may be asked for). */
  describedFields?: readonly MarketoLeadField[];
  fetchLog: LeadFetchLog;
  startDate: string;
  lookbackMs: number;
  clock: Clock;
}

/** The REST names to ask leads.json for: `id` and the configured fields. */
export function requestedLeadFields(plan: LeadSchemaPlan): string[] {
  return ['id', ...plan.fields.map((f) => f.restName).filter((n) => n !== 'id')];
}

/**
 * Fetches ≤ 300 leads by id with the configured fields in one leads.json call (the client uses
 * the `_method=GET` form when the URI would pass 8 KB). Deleted or unknown ids are simply absent
 * (Marketo answers only the leads that match), and noted as gone in the fetch log.
 */
export async function fetchLeads(
  o: LeadStreamOptions,
  ids: readonly number[],
  ctx: StreamContext,
): Promise<MarketoLead[]> {
  if (ids.length === 0) return [];
  const at = ctx.clock.now();
  const res: MarketoResponse<MarketoLead> = await getLeadsByIds(o.client, ids, requestedLeadFields(o.plan), ctx.signal);
  o.fetchLog.fetched(res.result, at);
  const returned = new Set(res.result.map((lead) => lead.id));
  o.fetchLog.notReturned(ids.filter((id) => !returned.has(id)));
  return res.result;
}

/**
 * The Kafka record of a fetched lead: key `<instance>:<leadId>`, the typed value, id
 * `<leadId>@<updatedAt>` (or the pull time when updatedAt is not configured), time = updatedAt.
 */
export function leadRecord(o: LeadStreamOptions, raw: MarketoLead, pulledAt: number): OutgoingRecord {
  const value = toLeadRecord(raw, o.plan.fields, { instance: o.instance, connection: o.connection, pulledAt });
  let time = pulledAt;
  if (typeof raw.updatedAt === 'string') {
    try {
      // Read as the value's updatedAt is (a zone-less datetime is UTC), so id and time agree with it.
      time = convertLeadValue('updatedAt', 'timestamp', raw.updatedAt) as number;
    } catch {
      // updatedAt is informative here; a malformed one is caught by the value conversion.
    }
  }
  return { key: recordKey(o.instance, raw.id), value, id: `${raw.id}@${new Date(time).toISOString()}`, time };
}

/**
 * What every stream that fetches leads by id and publishes them shares: the leads topic and schema,
 * no de-duplication by id (a changed lead must be published again), the lead record, and the
 * fetch log updated once a page is committed.
 */
export function fetchedLeadStreamParts(
  o: LeadStreamOptions,
  name: string,
): Pick<
  StreamDefinition<MarketoLead, StreamCursor>,
  'name' | 'topic' | 'eventType' | 'lookbackMs' | 'schema' | 'toRecord' | 'afterCommit'
> {
  return {
    name,
    topic: o.topic,
    eventType: EventTypes.lead,
    lookbackMs: 0,
    schema: () => o.plan.schema,
    toRecord: (raw, pulledAt) => leadRecord(o, raw, pulledAt),
    afterCommit: (records) => o.fetchLog.committed(records, o.clock.now()),
  };
}
