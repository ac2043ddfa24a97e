import { typesResult } from './activity-types.ts';
import { type AssetBase, legacyCampaignRecord, programRecord, smartCampaignRecord, updatedAtAsOf } from './assets.ts';
import { assetFailure, assetSuccess, businessFailure, failure, leadDbSuccess, type Reply } from './envelope.ts';
import { isoPlus0000, isoZ, parseMarketoDate, quirkRollSeed } from './hash.ts';
import { DEFAULT_LEAD_FIELDS, describe2Result, describeResult, LEAD_FIELDS, leadFieldIndex } from './lead-fields.ts';
import type { Limits } from './limits.ts';
import { PageWriter } from './page-writer.ts';
import { decodePagingToken, encodePagingToken, type PagingToken } from './paging-token.ts';
import { idListParam, listParam } from './params.ts';
import { type RawActivity, type ScanFilter, typeMask, type World, writeActivityJson } from './world.ts';

/** Rates of Marketo's paging quirks on activities.json / leadchanges.json / deletedleads.json. */
export interface Quirks {
  /** Share of pages cut short (fewer than batchSize records although more exist). */
  shortPageRate: number;
  /** Share of pages that are empty (no `result` key) with moreResult:true. */
  emptyPageRate: number;
}

/**
 * Activity-log positions one dated call looks at by default: Marketo's support notes say each call
 * goes through a few hundred activities of all types from the token's timestamp, and a page ends at
 * 300 matching records; a few thousand positions keeps a dense group's pages full while a sparse
 * group, or a re-read of months, costs one call per this many positions.
 */
export const DEFAULT_SCAN_CAP = 3_000;

/** Mutable settings the endpoints read on every call. */
export interface EndpointSettings {
  seed: number;
  quirks: Quirks;
  /** Lifetime of a nextPageToken in simulator ms; undefined = unlimited. */
  pagingTokenTtlMs: number | undefined;
  /** Timeline positions one activities call looks at before returning what it has. */
  scanCap: number;
  clientId: string;
  /** Activity types this instance lacks (names or ids): absent from types.json (e.g. no Sales Insight). */
  missingActivityTypes?: readonly (string | number)[];
}

/** One parsed REST call. */
export interface CallContext {
  requestId: string;
  params: URLSearchParams;
  now: number;
}

/** types.json's result without the types the instance lacks. */
function typesJson(missing: readonly (string | number)[] = []): string {
  const gone = new Set(missing.map((m) => (typeof m === 'string' ? m.toLowerCase() : m)));
  const present = (typesResult() as { id: number; name: string }[]).filter(
    (t) => !gone.has(t.id) && !gone.has(t.name.toLowerCase()),
  );
  return JSON.stringify(present);
}
const DESCRIBE_JSON = JSON.stringify(describeResult());
const DESCRIBE2_JSON = JSON.stringify(describe2Result());

/**
 * `batchSize` (1–300) and the position carried by a position-based `nextPageToken` of `kind`
 * (leads.json, campaigns.json), or Marketo's 1003 answer when either is invalid.
 */
function positionPaging(
  c: { params: URLSearchParams; requestId: string },
  seed: number,
  kind: number,
): { batchSize: number; offset: number } | { reply: Reply } {
  const batchSize = intParam(c.params, 'batchSize', 300);
  if (!(batchSize >= 1 && batchSize <= 300)) {
    return { reply: businessFailure(c.requestId, '1003', 'Invalid batchSize, must be between 1 and 300') };
  }
  const tokRaw = c.params.get('nextPageToken');
  if (!tokRaw) return { batchSize, offset: 0 };
  const t = decodePagingToken(seed, tokRaw);
  if (!t || t.k !== kind) return { reply: businessFailure(c.requestId, '1003', 'Invalid nextPageToken') };
  return { batchSize, offset: t.i };
}

function intParam(p: URLSearchParams, name: string, def: number): number {
  const v = p.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  return Number.isInteger(n) ? n : Number.NaN;
}

/**
 * Lead-database and asset endpoint handlers (everything under /rest), keyed by path. Each returns
 * a Reply; the server applies auth, limits, faults and counting around it.
 */
export function createEndpoints(
  world: World,
  limits: Limits,
  settings: EndpointSettings,
): Map<string, (c: CallContext) => Reply> {
  const seed = settings.seed;
  const routes = new Map<string, (c: CallContext) => Reply>();

  const page = (c: CallContext, filter: ScanFilter, render: (a: RawActivity, out: PageWriter) => void): Reply => {
    const raw = c.params.get('nextPageToken');
    if (!raw) return failure(c.requestId, '701', "'nextPageToken' cannot be blank");
    const tok = decodePagingToken(seed, raw);
    const ttl = settings.pagingTokenTtlMs;
    if (!tok || (ttl !== undefined && c.now - tok.issuedAt > ttl))
      return businessFailure(c.requestId, '1003', 'Invalid nextPageToken');
    const batchSize = intParam(c.params, 'batchSize', 300);
    if (!(batchSize >= 1 && batchSize <= 300))
      return businessFailure(c.requestId, '1003', 'Invalid batchSize, must be between 1 and 300');
    const q = settings.quirks;
    const roll = quirkRollSeed(seed, (tok.i + Math.imul(tok.k, 7919) + tok.mSeq) | 0, tok.q);
    let limit = batchSize;
    let empty = false;
    if (roll < q.emptyPageRate) empty = true;
    else if (roll < q.emptyPageRate + q.shortPageRate && batchSize > 1) {
      limit = 1 + Math.floor(quirkRollSeed(seed, tok.i | 0, tok.q + 1_000_000) * (batchSize - 1));
    }
    // Records are encoded straight into one buffer: flattening a 100 KB+ rope (or Array#join over
    // 300 ropes) costs more than generating the records.
    const out = new PageWriter(`{"requestId":"${c.requestId}"`);
    let n = 0;
    const r = world.scan(tok, filter, c.now, c.now, empty ? 0 : limit, settings.scanCap, (a) => {
      out.ascii(n++ === 0 ? ',"result":[' : ',');
      render(a, out);
    });
    const next: PagingToken = { ...r.pos, q: tok.q + 1, issuedAt: c.now };
    out.write(
      `${n ? ']' : ''},"success":true,"nextPageToken":"${encodePagingToken(seed, next)}","moreResult":${!r.done}}`,
    );
    return { body: out.finish(), counted: true, done: () => out.recycle() };
  };

  const leadSetOf = (c: CallContext): Set<number> | null | 'bad' => {
    const ids = idListParam(c.params, 'leadIds');
    if (!ids) return null;
    if (ids.length > 30 || ids.some((n) => !Number.isInteger(n))) return 'bad';
    return new Set(ids);
  };

  const types = typesJson(settings.missingActivityTypes);
  routes.set('/rest/v1/activities/types.json', (c) => leadDbSuccess(c.requestId, types));

  routes.set('/rest/v1/activities/pagingtoken.json', (c) => {
    const since = c.params.get('sinceDatetime');
    if (!since) return failure(c.requestId, '701', "'sinceDatetime' cannot be blank");
    const t = parseMarketoDate(since);
    if (Number.isNaN(t)) return failure(c.requestId, '704', 'Invalid date format');
    const tok: PagingToken = { ...world.positionAt(t), q: 0, issuedAt: c.now };
    return {
      body: `{"requestId":"${c.requestId}","success":true,"nextPageToken":"${encodePagingToken(seed, tok)}"}`,
      counted: true,
    };
  });

  routes.set('/rest/v1/activities.json', (c) => {
    const ids = idListParam(c.params, 'activityTypeIds');
    if (!ids) return failure(c.requestId, '701', "'activityTypeIds' cannot be blank");
    if (ids.length > 10 || ids.some((n) => !Number.isInteger(n)))
      return businessFailure(c.requestId, '1003', 'Invalid activityTypeIds: at most 10 integer ids');
    const leadSet = leadSetOf(c);
    if (leadSet === 'bad') return businessFailure(c.requestId, '1003', 'Invalid leadIds: at most 30 integer ids');
    return page(c, { typeMask: typeMask(ids), leadSet }, (a, out) => writeActivityJson(out, a, isoZ(a.date)));
  });

  const CHANGES = typeMask([12, 13]);
  routes.set('/rest/v1/activities/leadchanges.json', (c) => {
    const fields = listParam(c.params, 'fields');
    if (!fields) return failure(c.requestId, '701', "'fields' cannot be blank");
    const fieldMask = new Uint8Array(LEAD_FIELDS.length);
    for (const f of fields) {
      const idx = leadFieldIndex(f);
      if (idx < 0) return businessFailure(c.requestId, '1006', `Field '${f}' not found`);
      fieldMask[idx] = 1;
    }
    const leadSet = leadSetOf(c);
    if (leadSet === 'bad') return businessFailure(c.requestId, '1003', 'Invalid leadIds: at most 30 integer ids');
    return page(c, { typeMask: CHANGES, leadSet, fieldMask }, (a, out) =>
      out.write(
        `{"id":${a.id},"marketoGUID":"${a.guid}","leadId":${a.leadId},"activityDate":"${isoPlus0000(a.date)}","activityTypeId":${a.typeId},"fields":[${a.fieldsJson}],"attributes":[${a.attrJson}]}`,
      ),
    );
  });

  const DELETES = typeMask([37]);
  routes.set('/rest/v1/activities/deletedleads.json', (c) =>
    page(c, { typeMask: DELETES }, (a, out) =>
      out.write(
        `{"id":${a.id},"marketoGUID":"${a.guid}","leadId":${a.leadId},"activityDate":"${isoPlus0000(a.date)}","activityTypeId":37${a.primJson},"attributes":[]}`,
      ),
    ),
  );

  routes.set('/rest/v1/leads/describe.json', (c) => leadDbSuccess(c.requestId, DESCRIBE_JSON));
  routes.set('/rest/v1/leads/describe2.json', (c) => leadDbSuccess(c.requestId, DESCRIBE2_JSON));

  routes.set('/rest/v1/leads.json', (c) => {
    const filterType = c.params.get('filterType');
    if (!filterType) return failure(c.requestId, '701', "'filterType' cannot be blank");
    if (filterType !== 'id')
      return businessFailure(c.requestId, '1003', `Unsupported filterType '${filterType}' (the simulator supports id)`);
    const values = idListParam(c.params, 'filterValues');
    if (!values) return failure(c.requestId, '701', "'filterValues' cannot be blank");
    if (values.length > 300) return businessFailure(c.requestId, '1003', 'Too many values in filterValues, max 300');
    const names = listParam(c.params, 'fields') ?? [...DEFAULT_LEAD_FIELDS];
    const idx: number[] = [];
    for (const n of names) {
      const i = leadFieldIndex(n);
      if (i < 0) return businessFailure(c.requestId, '1006', `Field '${n}' not found`);
      idx.push(i);
    }
    const paging = positionPaging(c, seed, -1);
    if ('reply' in paging) return paging.reply;
    const { batchSize, offset } = paging;
    const ids = [...new Set(values.filter((n) => Number.isInteger(n)))].sort((a, b) => a - b);
    const found: Record<string, unknown>[] = [];
    for (const id of ids) {
      const rec = world.leads.record(id, c.now, idx);
      if (rec) found.push(rec);
    }
    const slice = found.slice(offset, offset + batchSize);
    const more = offset + batchSize < found.length;
    const extra = more
      ? `,"nextPageToken":"${encodePagingToken(seed, { i: offset + batchSize, k: -1, mDate: 0, mSeq: 0, q: 0, issuedAt: c.now })}"`
      : '';
    return leadDbSuccess(c.requestId, JSON.stringify(slice), extra);
  });

  const assetList = <T extends AssetBase>(
    c: CallContext,
    all: readonly T[],
    render: (a: T, now: number) => Record<string, unknown>,
    extraFilter?: (a: T) => boolean,
  ): Reply => {
    const maxReturn = intParam(c.params, 'maxReturn', 20);
    if (!(maxReturn >= 1 && maxReturn <= 200))
      return assetFailure(c.requestId, '701', "'maxReturn' must be between 1 and 200");
    const offset = intParam(c.params, 'offset', 0);
    if (!(offset >= 0)) return assetFailure(c.requestId, '701', "'offset' must be 0 or more");
    const e = c.params.get('earliestUpdatedAt');
    const l = c.params.get('latestUpdatedAt');
    const earliest = e ? parseMarketoDate(e) : Number.NEGATIVE_INFINITY;
    const latest = l ? parseMarketoDate(l) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(earliest) || Number.isNaN(latest)) return assetFailure(c.requestId, '701', 'Invalid date format');
    if (e && l && earliest >= latest)
      return assetFailure(c.requestId, '701', 'earliestUpdatedAt must be before latestUpdatedAt');
    const ids = c.params.get('filterType') === 'id' ? new Set(idListParam(c.params, 'filterValues') ?? []) : null;
    const matching = all.filter((a) => {
      if (a.createdAt > c.now) return false;
      const u = updatedAtAsOf(a, c.now);
      return u >= earliest && u <= latest && (!ids || ids.has(a.id)) && (!extraFilter || extraFilter(a));
    });
    return assetSuccess(
      c.requestId,
      matching.slice(offset, offset + maxReturn).map((a) => render(a, c.now)),
    );
  };

  routes.set('/rest/asset/v1/programs.json', (c) => assetList(c, world.programs, programRecord));
  routes.set('/rest/asset/v1/smartCampaigns.json', (c) => {
    const active = c.params.get('isActive');
    return assetList(
      c,
      world.campaigns,
      smartCampaignRecord,
      active === null ? undefined : (a) => a.active === (active === 'true'),
    );
  });

  routes.set('/rest/v1/campaigns.json', (c) => {
    const paging = positionPaging(c, seed, -2);
    if ('reply' in paging) return paging.reply;
    const { batchSize, offset } = paging;
    const ids = idListParam(c.params, 'id');
    const visible = world.campaigns.filter((x) => x.createdAt <= c.now && (!ids || ids.includes(x.id)));
    const slice = visible.slice(offset, offset + batchSize).map((x) => legacyCampaignRecord(x, c.now));
    const more = offset + batchSize < visible.length;
    const extra = more
      ? `,"nextPageToken":"${encodePagingToken(seed, { i: offset + batchSize, k: -2, mDate: 0, mSeq: 0, q: 0, issuedAt: c.now })}"`
      : '';
    return leadDbSuccess(c.requestId, JSON.stringify(slice), extra);
  });

  routes.set('/rest/v1/stats/usage.json', (c) => {
    // Marketo's own count includes this call.
    const total = limits.usedToday(c.now) + 1;
    const result = [
      { date: limits.centralDate(c.now), total, users: [{ userId: `${settings.clientId}@sim.example`, count: total }] },
    ];
    return leadDbSuccess(c.requestId, JSON.stringify(result));
  });

  return routes;
}
