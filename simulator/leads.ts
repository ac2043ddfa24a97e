import { hash3, isoZ, unit } from './hash.ts';
import { CHANGING_FIELD_INDEXES, LEAD_FIELDS, leadFieldIndex, leadFieldValue } from './lead-fields.ts';

/** Lead event kinds; each becomes an activity of type 12, 13, 37 or 32. */
export const EV_NEW = 0;
export const EV_CHANGE = 1;
export const EV_DELETE = 2;
/** The lead is merged away: the Merge Leads activity is on the winning lead (mergedInto). */
export const EV_MERGE = 3;
/** Activity type id of each event kind. */
export const EVENT_TYPE_IDS = [12, 13, 37, 32] as const;

const DAY = 86400_000;

/**
 * The lead population and its history. Lead ids are 1..count, created in id order (30 % before the
 * world's start, the rest spread over [start, end]); some get updated (one field per Change Data
 * Value event), about `deletedRate` get deleted or merged away (half each, by hash: a merged lead
 * vanishes like a deleted one, but into a winner existing then). Events are materialised (a few per lead, so memory
 * grows with leads, not activities) and sorted by date.
 */
export class LeadPopulation {
  readonly count: number;
  readonly createdAt: Float64Array;
  /** Deletion (or merge) instant, or +Infinity. */
  readonly deletedAt: Float64Array;
  /** Winning lead id of a merged-away lead, 0 when deleted or never gone. */
  readonly mergedInto: Int32Array;
  /** Events sorted by (date, lead, sequence). */
  readonly evDate: Float64Array;
  readonly evLead: Int32Array;
  readonly evKind: Uint8Array;
  /** Field index changed (EV_CHANGE only). */
  readonly evField: Uint8Array;
  /** Version of the field after the change (EV_CHANGE only). */
  readonly evVersion: Uint16Array;
  /** Per lead, its event numbers in date order: evOfLead[evStart[id-1] .. evStart[id]). */
  readonly evStart: Int32Array;
  readonly evOfLead: Int32Array;
  readonly #seed: number;

  constructor(seed: number, count: number, start: number, end: number, deletedRate: number) {
    this.#seed = seed;
    this.count = count;
    this.createdAt = new Float64Array(count);
    this.deletedAt = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
    this.mergedInto = new Int32Array(count);
    const before = start - 365 * DAY;
    const dates: number[] = [];
    const leads: number[] = [];
    const kinds: number[] = [];
    const fields: number[] = [];
    for (let j = 0; j < count; j++) {
      // Monotone in j: the jitter stays below one slot.
      const f = (j + unit(hash3(seed, j, 7001)) * 0.999) / count;
      const c = f < 0.3 ? before + (f / 0.3) * (start - before) : start + ((f - 0.3) / 0.7) * (end - start);
      const created = Math.floor(c / 1000) * 1000;
      this.createdAt[j] = created;
      const id = j + 1;
      dates.push(created);
      leads.push(id);
      kinds.push(EV_NEW);
      fields.push(0);
      const life = end - created;
      let deletedAt = Number.POSITIVE_INFINITY;
      if (life > 60_000 && id > 1 && unit(hash3(seed, id, 7002)) < deletedRate) {
        deletedAt = created + 60_000 + Math.floor((unit(hash3(seed, id, 7003)) * (life - 60_000)) / 1000) * 1000;
        this.deletedAt[j] = deletedAt;
      }
      const updates = life > 0 ? hash3(seed, id, 7004) % 4 : 0;
      for (let u = 0; u < updates; u++) {
        const d = created + 1000 + Math.floor((unit(hash3(seed, id, 7100 + u)) * life) / 1000) * 1000;
        if (d >= deletedAt || d > end) continue;
        dates.push(d);
        leads.push(id);
        kinds.push(EV_CHANGE);
        fields.push(CHANGING_FIELD_INDEXES[hash3(seed, id, 7200 + u) % CHANGING_FIELD_INDEXES.length]!);
      }
      if (deletedAt !== Number.POSITIVE_INFINITY) {
        dates.push(deletedAt);
        leads.push(id);
        kinds.push(hash3(seed, id, 7005) & 1 ? EV_MERGE : EV_DELETE);
        fields.push(0);
      }
    }
    // Winners are picked once every creation and deletion date is known.
    for (let e = 0; e < dates.length; e++) {
      if (kinds[e] === EV_MERGE) this.mergedInto[leads[e]! - 1] = this.#winner(leads[e]!, dates[e]!);
    }
    const n = dates.length;
    const order = new Int32Array(n);
    for (let e = 0; e < n; e++) order[e] = e;
    order.sort((a, b) => dates[a]! - dates[b]! || leads[a]! - leads[b]! || a - b);
    this.evDate = new Float64Array(n);
    this.evLead = new Int32Array(n);
    this.evKind = new Uint8Array(n);
    this.evField = new Uint8Array(n);
    this.evVersion = new Uint16Array(n);
    const versions = new Map<number, number>();
    const perLead = new Int32Array(count + 1);
    for (let e = 0; e < n; e++) {
      const o = order[e]!;
      this.evDate[e] = dates[o]!;
      this.evLead[e] = leads[o]!;
      this.evKind[e] = kinds[o]!;
      this.evField[e] = fields[o]!;
      if (kinds[o] === EV_CHANGE) {
        const key = leads[o]! * 64 + fields[o]!;
        const v = (versions.get(key) ?? 0) + 1;
        versions.set(key, v);
        this.evVersion[e] = v;
      }
      perLead[leads[o]!]!++;
    }
    this.evStart = new Int32Array(count + 1);
    for (let id = 1; id <= count; id++) this.evStart[id] = this.evStart[id - 1]! + perLead[id]!;
    this.evOfLead = new Int32Array(n);
    const fill = this.evStart.slice(0, count);
    for (let e = 0; e < n; e++) this.evOfLead[fill[this.evLead[e]! - 1]!++] = e;
  }

  /**
   * A lead other than `loser` existing at `date`, by hash. Lead 1 is created first and never goes,
   * so it is the fallback.
   */
  #winner(loser: number, date: number): number {
    const k = this.createdBy(date);
    for (let tries = 0; tries < 8; tries++) {
      const id = 1 + (hash3(this.#seed, loser, 7300 + tries) % k);
      if (id !== loser && this.deletedAt[id - 1]! > date) return id;
    }
    return 1;
  }

  /** The lead an event's activity is recorded on: the winner for a merge, else the event's lead. */
  activityLead(k: number): number {
    const id = this.evLead[k]!;
    return this.evKind[k] === EV_MERGE ? this.mergedInto[id - 1]! : id;
  }

  /** Number of leads created at or before `t` (ids 1..result exist by then, minus deletions). */
  createdBy(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdAt[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether lead `id` exists (created, not deleted) at `t`. */
  existsAt(id: number, t: number): boolean {
    return id >= 1 && id <= this.count && this.createdAt[id - 1]! <= t && this.deletedAt[id - 1]! > t;
  }

  /** First event number whose date is ≥ t. */
  firstEventAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.evDate.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.evDate[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Field value of lead `id` at version `v`. */
  value(fieldIndex: number, id: number, version: number): string | number | boolean | null {
    return leadFieldValue(this.#seed, fieldIndex, id, version, this.createdAt[id - 1]!);
  }

  /** "First Last" of a lead (primaryAttributeValue of Delete Lead). */
  displayName(id: number): string {
    const f = this.value(leadFieldIndex('firstName'), id, 0);
    const l = this.value(leadFieldIndex('lastName'), id, 0);
    return [f, l].filter((x) => x !== null).join(' ');
  }

  /**
   * The lead as leads.json returns it at `now` with the requested field indexes (null values
   * omitted), or undefined when it does not exist (not yet created, or deleted).
   */
  record(id: number, now: number, fieldIdx: readonly number[]): Record<string, unknown> | undefined {
    if (!this.existsAt(id, now)) return undefined;
    const created = this.createdAt[id - 1]!;
    let updatedAt = created;
    const versions = new Map<number, number>();
    for (let p = this.evStart[id - 1]!; p < this.evStart[id]!; p++) {
      const e = this.evOfLead[p]!;
      if (this.evDate[e]! > now) break;
      if (this.evKind[e] === EV_CHANGE) {
        versions.set(this.evField[e]!, this.evVersion[e]!);
        updatedAt = this.evDate[e]!;
      }
    }
    const out: Record<string, unknown> = {};
    for (const fi of fieldIdx) {
      const name = LEAD_FIELDS[fi]!.name;
      const v = name === 'updatedAt' ? isoZ(updatedAt) : this.value(fi, id, versions.get(fi) ?? 0);
      if (v !== null) out[name] = v;
    }
    return out;
  }
}
