import { ACTIVITY_TYPES, type ActivityTypeDef } from './activity-types.ts';
import { buildAssets, type CampaignAsset, type EmailAsset, type ProgramAsset } from './assets.ts';
import { guid, hash3 } from './hash.ts';
import { LEAD_FIELDS } from './lead-fields.ts';
import { EV_CHANGE, EV_DELETE, EV_MERGE, EV_NEW, EVENT_TYPE_IDS, LeadPopulation } from './leads.ts';
import type { PageWriter } from './page-writer.ts';

/** Parameters of a world. Everything in it is a pure function of these. */
export interface WorldOptions {
  seed: number;
  leads: number;
  /** Size of the random activity stream (types other than 12/13/37, which come from lead events). */
  activities: number;
  /** Epoch ms; activities are spread over [start, end]. */
  start: number;
  end: number;
  programs: number;
  campaigns: number;
  /** Share of activities whose visibleAt lags activityDate (by 1 minute to `lateArrivalMaxMs`). */
  lateArrivalRate: number;
  /**
   * Longest lag of a late arrival (default 50 minutes). Send Email is committed only when the mail
   * leaves the queue and custom activities can be back-dated, so on a real instance this can be days.
   */
  lateArrivalMaxMs?: number;
  /** Share of leads deleted (or, half of them, merged away) at some point. */
  deletedLeadRate: number;
  /**
   * marketoGUID is the activity id's decimal text, as Marketo's own examples show (REST and bulk
   * files). Default false: UUID-like GUIDs unrelated to the id, as on migrated instances.
   */
  numericGuids?: boolean;
}

/**
 * One activity, pre-rendered: JSON fragments are built once so pages can be concatenated fast.
 * `primJson` is `,"primaryAttributeValueId":…,"primaryAttributeValue":…` or ''; `attrJson` and
 * `fieldsJson` are the insides of the `attributes` / `fields` arrays.
 */
export interface RawActivity {
  id: number;
  guid: string;
  leadId: number;
  date: number;
  visibleAt: number;
  typeId: number;
  campaignId: number;
  primJson: string;
  attrJson: string;
  fieldsJson: string;
  /** primJson and attrJson pre-encoded as UTF-8, when they come from the world's pools. */
  encoded?: { prim: Buffer; attr: Buffer };
}

/** A position in the merged activity timeline (random stream i, lead events k, injected (mDate, mSeq)). */
export interface TimelinePos {
  i: number;
  k: number;
  mDate: number;
  mSeq: number;
}

/** What a scan keeps. typeMask is indexed by activity type id. */
export interface ScanFilter {
  typeMask: Uint8Array;
  leadSet?: Set<number> | null;
  /** leadchanges: Change Data Value events only for these field indexes. */
  fieldMask?: Uint8Array | null;
}

/** Result of a scan step. `done`: the timeline reached `horizon` (nothing more right now). */
export interface ScanResult {
  pos: TimelinePos;
  done: boolean;
}

interface Injected extends RawActivity {
  seq: number;
}

const HOUR = 3600_000;
const MINUTE = 60_000;
/** Late arrivals lag 1–50 minutes unless the world says otherwise. */
export const DEFAULT_LATE_ARRIVAL_MAX_MS = 50 * MINUTE;
const POOL = 64;
const COMBOS = 512;

/** Marks the given type ids in a mask usable as ScanFilter.typeMask. */
export function typeMask(ids: Iterable<number>): Uint8Array {
  const m = new Uint8Array(1024);
  for (const id of ids) if (id >= 0 && id < 1024) m[id] = 1;
  return m;
}

/** `[{"name":…,"value":…},…]` insides for name/value pairs (null values omitted). */
function attrPieces(pairs: [string, unknown][]): string {
  let s = '';
  for (const [name, value] of pairs) {
    if (value === null || value === undefined) continue;
    s += `${s ? ',' : ''}{"name":${JSON.stringify(name)},"value":${JSON.stringify(value)}}`;
  }
  return s;
}

/**
 * The simulated Marketo database. Activities of the random stream are generated lazily: activity
 * number i (in activityDate order) is a pure function of (seed, i), its date a monotone mapping of
 * i over [start, end] weighted by hour of day and day of week. Lead events (New Lead, Change Data
 * Value, Delete Lead) and explicitly injected late activities are merged in by date. Memory grows
 * with leads and assets, never with the number of activities.
 */
export class World {
  readonly options: WorldOptions;
  readonly leads: LeadPopulation;
  readonly programs: ProgramAsset[];
  readonly campaigns: CampaignAsset[];
  readonly emails: EmailAsset[];
  readonly #seed: number;
  readonly #n: number;
  readonly #cum: Float64Array;
  readonly #w: Float64Array;
  #hint = 0;
  readonly #typeByHash: Uint8Array;
  readonly #lateThreshold: number;
  /** Seconds over which a late arrival's lag (beyond its first minute) is spread. */
  readonly #lateSpanSeconds: number;
  /** Per type index: per attribute: POOL pre-rendered `{"name":…,"value":…}` pieces. */
  readonly #attrPools: string[][][];
  readonly #emptyThresholds: number[][];
  /** Per type index: COMBOS pre-rendered attribute lists (insides of `attributes`), drawn by hash. */
  readonly #attrCombos: string[][];
  readonly #primPools: string[][];
  /** #attrCombos and #primPools pre-encoded as UTF-8, so pages copy bytes instead of encoding text. */
  readonly #attrCombosEncoded: Buffer[][];
  readonly #primPoolsEncoded: Buffer[][];
  readonly #campaignIds: number[];
  readonly #typeIndexById = new Map<number, number>();
  readonly #injected: Injected[] = [];
  #injectSeq = 0;

  constructor(options: WorldOptions) {
    if (!(options.end > options.start)) throw new Error('world: end must be after start');
    if (options.leads < 1) throw new Error('world: leads must be ≥ 1');
    this.options = options;
    const seed = options.seed >>> 0;
    this.#seed = seed;
    this.#n = Math.max(0, Math.floor(options.activities));
    this.leads = new LeadPopulation(seed, options.leads, options.start, options.end, options.deletedLeadRate);
    const assets = buildAssets(
      seed,
      Math.max(1, options.programs),
      Math.max(1, options.campaigns),
      options.start,
      options.end,
    );
    this.programs = assets.programs;
    this.campaigns = assets.campaigns;
    this.emails = assets.emails;
    this.#campaignIds = this.campaigns.map((c) => c.id);

    // Hourly weights: a working-day curve (peak early afternoon, US Central-ish) and quiet weekends.
    const buckets = Math.max(1, Math.ceil((options.end - options.start) / HOUR));
    this.#w = new Float64Array(buckets);
    this.#cum = new Float64Array(buckets + 1);
    for (let b = 0; b < buckets; b++) {
      const local = options.start + b * HOUR - 6 * HOUR;
      const hour = Math.floor(local / HOUR) % 24;
      const dow = (Math.floor(local / 86400_000) + 4) % 7;
      let w = 0.2 + Math.exp(-((hour - 13) ** 2) / 18);
      if (dow === 0 || dow === 6) w *= 0.3;
      const span = Math.min(HOUR, options.end - (options.start + b * HOUR));
      w *= span / HOUR;
      this.#w[b] = w;
      this.#cum[b + 1] = this.#cum[b]! + w;
    }

    ACTIVITY_TYPES.forEach((t, idx) => {
      this.#typeIndexById.set(t.id, idx);
    });
    const random = ACTIVITY_TYPES.map((t, idx) => [t, idx] as const).filter(([t]) => t.weight > 0);
    const total = random.reduce((s, [t]) => s + t.weight, 0);
    this.#typeByHash = new Uint8Array(65536);
    let acc = 0;
    let slot = 0;
    for (const [t, idx] of random) {
      acc += t.weight;
      const upto = Math.round((acc / total) * 65536);
      for (; slot < upto; slot++) this.#typeByHash[slot] = idx;
    }
    this.#lateThreshold = Math.floor(Math.max(0, Math.min(1, options.lateArrivalRate)) * 4294967296);
    const lateMaxMs = options.lateArrivalMaxMs ?? DEFAULT_LATE_ARRIVAL_MAX_MS;
    if (!(lateMaxMs >= 2 * MINUTE)) throw new Error('world: lateArrivalMaxMs must be at least 2 minutes');
    this.#lateSpanSeconds = Math.floor((lateMaxMs - MINUTE) / 1000);

    this.#attrPools = ACTIVITY_TYPES.map((t) =>
      t.attributes.map((a, ai) => {
        const pool: string[] = [];
        for (let j = 0; j < POOL; j++) {
          pool.push(
            `{"name":${JSON.stringify(a.name)},"value":${JSON.stringify(a.gen(hash3(seed, t.id * 64 + ai, j)))}}`,
          );
        }
        return pool;
      }),
    );
    this.#emptyThresholds = ACTIVITY_TYPES.map((t) =>
      t.attributes.map((a) => Math.floor((a.emptyRate ?? 0) * 16777216)),
    );
    this.#primPools = ACTIVITY_TYPES.map((t) => this.#primPool(t));
    // Whole attribute lists are pre-rendered per type: one hash and one string per activity keeps
    // paging fast; COMBOS distinct lists per type and seed are plenty for a client under test.
    this.#attrCombos = ACTIVITY_TYPES.map((_, ti) => {
      const combos: string[] = [];
      for (let c = 0; c < COMBOS; c++) combos.push(this.#renderAttrs(ti, c));
      return combos;
    });
    this.#attrCombosEncoded = this.#attrCombos.map((combos) => combos.map((c) => Buffer.from(c)));
    this.#primPoolsEncoded = this.#primPools.map((pool) => pool.map((p) => Buffer.from(p)));
  }

  #renderAttrs(ti: number, c: number): string {
    const pools = this.#attrPools[ti]!;
    const empty = this.#emptyThresholds[ti]!;
    let attrJson = '';
    for (let a = 0; a < pools.length; a++) {
      const h = hash3(this.#seed, c + 40_000 + ti * COMBOS, 16 + a);
      if (empty[a]! > 0 && h >>> 8 < empty[a]!) continue;
      attrJson += attrJson ? `,${pools[a]![h & (POOL - 1)]}` : pools[a]![h & (POOL - 1)]!;
    }
    return attrJson;
  }

  #primPool(t: ActivityTypeDef): string[] {
    const out: string[] = [];
    const p = t.primaryAttribute;
    for (let j = 0; j < POOL; j++) {
      let id = 0;
      let name = '';
      if (!p) {
        out.push('');
        continue;
      }
      switch (p.asset) {
        case 'email': {
          const e = this.emails[j % this.emails.length]!;
          id = e.id;
          name = e.name;
          break;
        }
        case 'program': {
          const pr = this.programs[j % this.programs.length]!;
          id = pr.id;
          name = pr.name;
          break;
        }
        case 'webpage':
          id = 1 + j;
          name = `www.example.com/page-${j + 1}.html`;
          break;
        case 'form':
          id = 100 + (j % 16);
          name = `Form ${(j % 16) + 1} - Contact Us`;
          break;
        case 'link':
          id = 300 + j;
          name = `https://www.example.com/l/${j + 1}`;
          break;
        default:
          id = 1 + ((j * 7919) % 997);
          name = `${t.name} ${j + 1}`;
      }
      out.push(`,"primaryAttributeValueId":${id},"primaryAttributeValue":${JSON.stringify(name)}`);
    }
    return out;
  }

  /** Number of activities in the random stream. */
  get size(): number {
    return this.#n;
  }

  /** activityDate of random-stream activity i (epoch ms, whole seconds; non-decreasing in i). */
  dateOf(i: number): number {
    return this.#dateFromHash(i, hash3(this.#seed, i, 0));
  }

  #dateFromHash(i: number, h0: number): number {
    const cum = this.#cum;
    const buckets = this.#w.length;
    const u = ((i + (h0 >>> 16) / 65536) / this.#n) * cum[buckets]!;
    let b = this.#hint;
    if (!(cum[b]! <= u && u < cum[b + 1]!)) {
      let lo = 0;
      let hi = buckets - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (cum[mid]! <= u) lo = mid;
        else hi = mid - 1;
      }
      b = lo;
      this.#hint = b;
    }
    const w = this.#w[b]!;
    const frac = w > 0 ? (u - cum[b]!) / w : 0;
    const t = Math.min(this.options.end, this.options.start + (b + frac) * HOUR);
    return Math.floor(t / 1000) * 1000;
  }

  /** First random-stream index whose activityDate is ≥ t. */
  firstIndexAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.dateOf(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The timeline position of the first activity dated ≥ t (what pagingtoken.json encodes). */
  positionAt(t: number): TimelinePos {
    return { i: this.firstIndexAtOrAfter(t), k: this.leads.firstEventAtOrAfter(t), mDate: t, mSeq: -1 };
  }

  /** Materialises random-stream activity i. */
  randomActivity(i: number): RawActivity {
    const seed = this.#seed;
    const h0 = hash3(seed, i, 0);
    const ti = this.#typeByHash[h0 & 0xffff]!;
    const date = this.#dateFromHash(i, h0);
    return this.#build(i + 1, guid(seed, 1, i), ti, date, this.#visibleAt(i, date), seed, i, 0);
  }

  #visibleAt(i: number, date: number): number {
    const h1 = hash3(this.#seed, i, 1);
    if (h1 >= this.#lateThreshold) return date;
    return date + MINUTE + (hash3(this.#seed, i, 2) % this.#lateSpanSeconds) * 1000;
  }

  #build(
    id: number,
    g: string,
    ti: number,
    date: number,
    visibleAt: number,
    seed: number,
    i: number,
    salt: number,
    leadId = 0,
  ): RawActivity {
    const t = ACTIVITY_TYPES[ti]!;
    if (leadId === 0) leadId = this.#leadFor(date, hash3(seed, i, 3 + salt));
    let campaignId = 0;
    const h4 = hash3(seed, i, 4 + salt);
    if (t.withCampaign && (h4 & 0xff) < 230) campaignId = this.#campaignIds[(h4 >>> 8) % this.#campaignIds.length]!;
    const p = hash3(seed, i, 5 + salt) & (POOL - 1);
    const c = hash3(seed, i, 6 + salt) & (COMBOS - 1);
    return {
      id,
      guid: this.options.numericGuids ? String(id) : g,
      leadId,
      date,
      visibleAt,
      typeId: t.id,
      campaignId,
      primJson: this.#primPools[ti]![p]!,
      attrJson: this.#attrCombos[ti]![c]!,
      fieldsJson: '',
      encoded: { prim: this.#primPoolsEncoded[ti]![p]!, attr: this.#attrCombosEncoded[ti]![c]! },
    };
  }

  /** A lead that exists at `date` (created, preferably not deleted), chosen by hash. */
  #leadFor(date: number, h: number): number {
    const k = Math.max(1, this.leads.createdBy(date));
    let id = 1 + (h % k);
    for (let tries = 0; tries < 4 && this.leads.deletedAt[id - 1]! <= date; tries++) {
      id = 1 + (hash3(this.#seed, id, tries + 77) % k);
    }
    return this.leads.deletedAt[id - 1]! <= date ? 1 : id;
  }

  /** Materialises lead event k as an activity (type 12, 13, 37 or 32). */
  eventActivity(k: number): RawActivity {
    const L = this.leads;
    const kind = L.evKind[k]!;
    const leadId = L.activityLead(k);
    const date = L.evDate[k]!;
    const typeId = EVENT_TYPE_IDS[kind]!;
    const base = {
      id: this.#n + k + 1,
      guid: this.options.numericGuids ? String(this.#n + k + 1) : guid(this.#seed, 2, k),
      leadId,
      date,
      visibleAt: date,
      typeId,
      campaignId: 0,
    };
    const h = hash3(this.#seed, k, 900);
    if (kind === EV_NEW) {
      const t = ACTIVITY_TYPES[this.#typeIndexById.get(12)!]!;
      const attrs = attrPieces(t.attributes.map((a, ai) => [a.name, a.gen(hash3(this.#seed, k, 901 + ai))]));
      return { ...base, primJson: '', attrJson: attrs, fieldsJson: '' };
    }
    if (kind === EV_DELETE) {
      return {
        ...base,
        primJson: `,"primaryAttributeValueId":${leadId},"primaryAttributeValue":${JSON.stringify(L.displayName(leadId))}`,
        attrJson: '',
        fieldsJson: '',
      };
    }
    if (kind === EV_MERGE) {
      return {
        ...base,
        primJson: `,"primaryAttributeValueId":${leadId},"primaryAttributeValue":${JSON.stringify(L.displayName(leadId))}`,
        attrJson: attrPieces([
          ['Merge IDs', `[${L.evLead[k]!}]`],
          ['Merged in Sales', false],
          ['Master Updated', true],
        ]),
        fieldsJson: '',
      };
    }
    const fi = L.evField[k]!;
    const f = LEAD_FIELDS[fi]!;
    const v = L.evVersion[k]!;
    const nv = L.value(fi, leadId, v);
    const ov = L.value(fi, leadId, v - 1);
    const str = (x: unknown) => (x === null ? null : String(x));
    const reasons = ['Changed by smart campaign', 'Web service API update', 'Sync from Salesforce'];
    const attrJson = attrPieces([
      ['New Value', str(nv)],
      ['Old Value', str(ov)],
      ['Reason', reasons[h % 3]!],
      ['Source', h % 2 ? 'Web service API' : 'Smart campaign'],
    ]);
    const fieldsJson = `{"id":${f.id},"name":${JSON.stringify(f.name)},"newValue":${JSON.stringify(str(nv))},"oldValue":${JSON.stringify(str(ov))}}`;
    return {
      ...base,
      primJson: `,"primaryAttributeValueId":${f.id},"primaryAttributeValue":${JSON.stringify(f.displayName)}`,
      attrJson,
      fieldsJson,
    };
  }

  /**
   * Adds an activity that becomes visible at `visibleAt` although dated `activityDate` (both epoch
   * ms), for tests that aim a late arrival inside a look-back window. Returns the record.
   */
  inject(leadId: number, activityTypeId: number, activityDate: number, visibleAt: number): RawActivity {
    const ti = this.#typeIndexById.get(activityTypeId);
    if (ti === undefined) throw new Error(`unknown activity type ${activityTypeId}`);
    const seq = this.#injectSeq++;
    const date = Math.floor(activityDate / 1000) * 1000;
    const raw = this.#build(
      2_000_000_000 - seq,
      guid(this.#seed, 3, seq),
      ti,
      date,
      Math.max(visibleAt, date),
      this.#seed,
      seq,
      5000,
      leadId,
    );
    const rec: Injected = { ...raw, seq };
    let p = this.#injected.length;
    while (p > 0 && this.#injected[p - 1]!.date > date) p--;
    this.#injected.splice(p, 0, rec);
    return raw;
  }

  #firstInjectedAfter(mDate: number, mSeq: number): number {
    const inj = this.#injected;
    let lo = 0;
    let hi = inj.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = inj[mid]!;
      if (r.date < mDate || (r.date === mDate && r.seq <= mSeq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Walks the merged timeline from `pos` in date order, handing `emit` every activity that passes
   * `filter` and is visible at `now` (visibleAt ≤ now), until `limit` were emitted, `scanCap`
   * positions were looked at, or the next activity is dated after `horizon` (then done = true).
   * Activities dated ≤ horizon but not yet visible are passed over, as Marketo does with late ones.
   */
  scan(
    pos: TimelinePos,
    filter: ScanFilter,
    now: number,
    horizon: number,
    limit: number,
    scanCap: number,
    emit: (a: RawActivity) => void,
  ): ScanResult {
    const seed = this.#seed;
    const n = this.#n;
    const L = this.leads;
    const nEv = L.evDate.length;
    const mask = filter.typeMask;
    const leadSet = filter.leadSet ?? null;
    const fieldMask = filter.fieldMask ?? null;
    let { i, k, mDate, mSeq } = pos;
    let m = this.#firstInjectedAfter(mDate, mSeq);
    const inj = this.#injected;
    let emitted = 0;
    let scanned = 0;
    let h0 = i < n ? hash3(seed, i, 0) : 0;
    let dMain = i < n ? this.#dateFromHash(i, h0) : Number.POSITIVE_INFINITY;
    let done = false;
    while (true) {
      const dEv = k < nEv ? L.evDate[k]! : Number.POSITIVE_INFINITY;
      const dInj = m < inj.length ? inj[m]!.date : Number.POSITIVE_INFINITY;
      const d = Math.min(dMain, dEv, dInj);
      if (d > horizon || d === Number.POSITIVE_INFINITY) {
        done = true;
        break;
      }
      if (emitted >= limit || scanned >= scanCap) break;
      scanned++;
      // The injected cursor follows the scan: an activity injected behind it is lost to this token,
      // exactly like a late arrival in Marketo.
      if (d > mDate) {
        mDate = d;
        mSeq = -1;
      }
      if (dMain === d) {
        const ti = this.#typeByHash[h0 & 0xffff]!;
        if (mask[ACTIVITY_TYPES[ti]!.id] === 1) {
          const vis = this.#visibleAt(i, dMain);
          if (vis <= now) {
            const a = this.#build(i + 1, guid(seed, 1, i), ti, dMain, vis, seed, i, 0);
            if (!leadSet || leadSet.has(a.leadId)) {
              emit(a);
              emitted++;
            }
          }
        }
        i++;
        if (i < n) {
          h0 = hash3(seed, i, 0);
          dMain = this.#dateFromHash(i, h0);
        } else dMain = Number.POSITIVE_INFINITY;
      } else if (dEv === d) {
        const kind = L.evKind[k]!;
        if (
          mask[EVENT_TYPE_IDS[kind]!] === 1 &&
          (!leadSet || leadSet.has(L.activityLead(k))) &&
          (kind !== EV_CHANGE || !fieldMask || fieldMask[L.evField[k]!] === 1)
        ) {
          emit(this.eventActivity(k));
          emitted++;
        }
        k++;
      } else {
        const r = inj[m]!;
        if (mask[r.typeId] === 1 && r.visibleAt <= now && (!leadSet || leadSet.has(r.leadId))) {
          emit(r);
          emitted++;
        }
        mDate = r.date;
        mSeq = r.seq;
        m++;
      }
    }
    return { pos: { i, k, mDate, mSeq }, done };
  }

  /** Iterates visible activities dated in [from, to] (epoch ms) as of `now`, in timeline order. */
  *iterate(filter: ScanFilter, from: number, to: number, now: number): Generator<RawActivity> {
    let pos = this.positionAt(from);
    const horizon = Math.min(to, now);
    while (true) {
      const batch: RawActivity[] = [];
      const r = this.scan(pos, filter, now, horizon, 1000, 1_000_000, (a) => batch.push(a));
      yield* batch;
      pos = r.pos;
      if (r.done) return;
    }
  }

  /** Ids of leads deleted (not merged) at or before `now`, ascending. */
  deletedLeadIds(now: number): number[] {
    return this.#goneBy(now, false);
  }

  /** Ids of leads merged away at or before `now`, ascending. */
  mergedLeadIds(now: number): number[] {
    return this.#goneBy(now, true);
  }

  #goneBy(now: number, merged: boolean): number[] {
    const L = this.leads;
    const out: number[] = [];
    for (let j = 0; j < L.count; j++) if (L.deletedAt[j]! <= now && L.mergedInto[j]! > 0 === merged) out.push(j + 1);
    return out;
  }
}

/** Event kind constants re-exported for endpoint code. */
export { EV_CHANGE, EV_DELETE, EV_MERGE, EV_NEW };

/** Writes {@link activityJson}'s bytes into a page, copying pre-encoded pieces where it has them. */
export function writeActivityJson(out: PageWriter, a: RawActivity, date: string): void {
  if (!a.encoded) {
    out.write(activityJson(a, date));
    return;
  }
  // Piece by piece: a template string here would be a rope to flatten for every record.
  out.ascii('{"id":');
  out.int(a.id);
  out.ascii(',"marketoGUID":"');
  out.ascii(a.guid);
  out.ascii('","leadId":');
  out.int(a.leadId);
  out.ascii(',"activityDate":"');
  out.ascii(date);
  out.ascii('","activityTypeId":');
  out.int(a.typeId);
  if (a.campaignId) {
    out.ascii(',"campaignId":');
    out.int(a.campaignId);
  }
  out.bytes(a.encoded.prim);
  out.ascii(',"attributes":[');
  out.bytes(a.encoded.attr);
  out.ascii(']}');
}

/** Serialises a raw activity as an activities.json record. */
export function activityJson(a: RawActivity, date: string): string {
  return `{"id":${a.id},"marketoGUID":"${a.guid}","leadId":${a.leadId},"activityDate":"${date}","activityTypeId":${a.typeId}${a.campaignId ? `,"campaignId":${a.campaignId}` : ''}${a.primJson},"attributes":[${a.attrJson}]}`;
}
