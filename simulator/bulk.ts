import { businessFailure, failure, leadDbSuccess, type Reply } from './envelope.ts';
import { guid, isoZ, parseMarketoDate } from './hash.ts';
import { LEAD_FIELDS, leadFieldIndex } from './lead-fields.ts';
import type { Limits } from './limits.ts';
import { activityJson, typeMask, type World } from './world.ts';

type JobStatus = 'Created' | 'Queued' | 'Processing' | 'Completed' | 'Failed' | 'Cancelled';

interface Job {
  exportId: string;
  kind: 'activities' | 'leads';
  format: string;
  status: JobStatus;
  createdAt: number;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  from: number;
  to: number;
  filterField: 'createdAt' | 'updatedAt';
  fields: string[];
  typeIds?: number[];
  file?: Buffer;
  numberOfRecords?: number;
}

const DAY = 86400_000;
const ACTIVITY_COLUMNS = [
  'marketoGUID',
  'leadId',
  'activityDate',
  'activityTypeId',
  'campaignId',
  'primaryAttributeValueId',
  'primaryAttributeValue',
  'attributes',
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'null';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Bulk extract for activities and leads (/bulk/v1/{activities|leads}/export/…): Created → Queued →
 * Processing → Completed | Cancelled, at most `maxProcessing` (2) processing and `maxQueued` (10)
 * queued, a 31-day createdAt window for activities, the daily byte budget of `limits`. A job takes
 * `processingMs` of simulator time; states advance lazily whenever a bulk endpoint is called.
 */
export class BulkExtract {
  readonly #world: World;
  readonly #limits: Limits;
  readonly #seed: number;
  readonly #jobs = new Map<string, Job>();
  #created = 0;
  processingMs = 30_000;
  maxProcessing = 2;
  maxQueued = 10;

  constructor(world: World, limits: Limits, seed: number) {
    this.#world = world;
    this.#limits = limits;
    this.#seed = seed;
  }

  #tick(now: number): void {
    for (const j of this.#jobs.values()) {
      if (j.status === 'Processing' && j.startedAt! + this.processingMs <= now)
        this.#complete(j, j.startedAt! + this.processingMs, now);
    }
    const queued = [...this.#jobs.values()]
      .filter((j) => j.status === 'Queued')
      .sort((a, b) => a.queuedAt! - b.queuedAt!);
    for (const j of queued) {
      if (this.#count('Processing') >= this.maxProcessing) break;
      j.status = 'Processing';
      j.startedAt = now;
    }
  }

  #count(s: JobStatus): number {
    let n = 0;
    for (const j of this.#jobs.values()) if (j.status === s) n++;
    return n;
  }

  #complete(j: Job, at: number, now: number): void {
    const lines: string[] = [];
    if (j.kind === 'activities') {
      lines.push(j.fields.join(','));
      const mask = typeMask(j.typeIds ?? this.#allTypeIds());
      for (const a of this.#world.iterate({ typeMask: mask }, j.from, j.to, at)) {
        const rec = JSON.parse(activityJson(a, isoZ(a.date))) as Record<string, unknown> & {
          attributes: { name: string; value: unknown }[];
        };
        const attrs: Record<string, unknown> = {};
        for (const x of rec.attributes) attrs[x.name] = x.value;
        const row: Record<string, unknown> = { ...rec, attributes: attrs };
        lines.push(
          j.fields
            .map((f) => (f === 'attributes' ? `"${JSON.stringify(attrs).replace(/"/g, '""')}"` : csvCell(row[f])))
            .join(','),
        );
      }
    } else {
      lines.push(j.fields.join(','));
      const idx = [...j.fields, j.filterField].map((f) => leadFieldIndex(f));
      const L = this.#world.leads;
      for (let id = 1; id <= L.count; id++) {
        const rec = L.record(id, at, idx);
        if (!rec) continue;
        const key = Date.parse(String(rec[j.filterField]));
        if (key < j.from || key > j.to) continue;
        lines.push(j.fields.map((f) => csvCell(rec[f])).join(','));
      }
    }
    j.file = Buffer.from(`${lines.join('\n')}\n`);
    j.numberOfRecords = lines.length - 1;
    j.status = 'Completed';
    j.finishedAt = at;
    this.#limits.addBulkBytes(now, j.file.length);
  }

  #allTypeIds(): number[] {
    return Array.from({ length: 1024 }, (_, i) => i);
  }

  #view(j: Job): Record<string, unknown> {
    return {
      exportId: j.exportId,
      format: j.format,
      status: j.status,
      createdAt: isoZ(j.createdAt),
      ...(j.queuedAt !== undefined ? { queuedAt: isoZ(j.queuedAt) } : {}),
      ...(j.startedAt !== undefined ? { startedAt: isoZ(j.startedAt) } : {}),
      ...(j.finishedAt !== undefined ? { finishedAt: isoZ(j.finishedAt) } : {}),
      ...(j.file ? { numberOfRecords: j.numberOfRecords, fileSize: j.file.length } : {}),
    };
  }

  /** Handles one bulk request. `action` is create | enqueue | status | file | cancel | list. */
  handle(
    requestId: string,
    kind: 'activities' | 'leads',
    action: string,
    exportId: string | undefined,
    body: string,
    query: URLSearchParams,
    range: string | undefined,
    now: number,
  ): Reply {
    this.#tick(now);
    const ok = (jobs: Job[]) => leadDbSuccess(requestId, JSON.stringify(jobs.map((j) => this.#view(j))));
    if (action === 'create') return this.#create(requestId, kind, body, now, ok);
    if (action === 'list') {
      const wanted = query.get('status')?.split(',');
      const jobs = [...this.#jobs.values()].filter(
        (j) => j.kind === kind && j.createdAt >= now - 7 * DAY && (!wanted || wanted.includes(j.status)),
      );
      return ok(jobs);
    }
    const j = exportId ? this.#jobs.get(exportId) : undefined;
    if (!j || j.kind !== kind) return failure(requestId, '1003', `Export Id ${exportId} not found`);
    switch (action) {
      case 'enqueue': {
        if (j.status !== 'Created') return businessFailure(requestId, '1003', `Export ${j.exportId} is ${j.status}`);
        const cap = this.#limits.settings.bulkDailyBytes;
        if (cap !== false && this.#limits.bulkBytesToday(now) >= cap) {
          return businessFailure(requestId, '1029', `Export daily quota ${Math.round(cap / 1e6)}MB exceeded`);
        }
        if (this.#count('Queued') >= this.maxQueued)
          return businessFailure(requestId, '1029', `Too many jobs (${this.maxQueued}) in queue`);
        j.status = 'Queued';
        j.queuedAt = now;
        this.#tick(now);
        return ok([j]);
      }
      case 'status':
        return ok([j]);
      case 'cancel':
        if (j.status !== 'Completed' && j.status !== 'Failed') j.status = 'Cancelled';
        return ok([j]);
      case 'file': {
        if (j.status !== 'Completed' || !j.file)
          return businessFailure(requestId, '1003', `Export ${j.exportId} is not completed`);
        const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
        if (m) {
          const size = j.file.length;
          const startByte = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
          const endByte = m[1] && m[2] ? Math.min(size - 1, Number(m[2])) : size - 1;
          return {
            status: 206,
            body: j.file.subarray(startByte, endByte + 1),
            contentType: 'text/csv',
            headers: { 'content-range': `bytes ${startByte}-${endByte}/${size}` },
            counted: true,
          };
        }
        return { body: j.file, contentType: 'text/csv', counted: true };
      }
      default:
        return failure(requestId, '610', 'Requested resource not found');
    }
  }

  #create(
    requestId: string,
    kind: 'activities' | 'leads',
    body: string,
    now: number,
    ok: (jobs: Job[]) => Reply,
  ): Reply {
    let spec: {
      format?: string;
      fields?: string[];
      filter?: Record<string, { startAt?: string; endAt?: string }> & { activityTypeIds?: number[] };
    };
    try {
      spec = JSON.parse(body || '{}');
    } catch {
      return failure(requestId, '609', 'Invalid JSON');
    }
    const filter = spec.filter ?? {};
    const field = filter['createdAt'] ? 'createdAt' : filter['updatedAt'] && kind === 'leads' ? 'updatedAt' : undefined;
    if (!field)
      return businessFailure(
        requestId,
        '1003',
        kind === 'leads' ? 'createdAt or updatedAt filter is required' : 'createdAt filter is required',
      );
    const from = parseMarketoDate(filter[field]!.startAt ?? '');
    const to = parseMarketoDate(filter[field]!.endAt ?? '');
    if (Number.isNaN(from) || Number.isNaN(to)) return failure(requestId, '704', 'Invalid date format');
    if (to < from) return businessFailure(requestId, '1003', 'endAt must be after startAt');
    if (to - from > 31 * DAY)
      return businessFailure(requestId, '1003', `${field} filter date range cannot exceed 31 days`);
    let fields = spec.fields;
    if (kind === 'leads') {
      if (!fields || fields.length === 0) return businessFailure(requestId, '1003', 'fields are required');
      const bad = fields.find((f) => leadFieldIndex(f) < 0);
      if (bad) return businessFailure(requestId, '1006', `Field '${bad}' not found`);
    } else {
      fields = fields?.length ? fields : ACTIVITY_COLUMNS;
      const bad = fields.find((f) => !ACTIVITY_COLUMNS.includes(f));
      if (bad) return businessFailure(requestId, '1006', `Field '${bad}' not found`);
    }
    const job: Job = {
      exportId: guid(this.#seed, 11, this.#created++),
      kind,
      format: spec.format ?? 'CSV',
      status: 'Created',
      createdAt: now,
      from,
      to,
      filterField: field,
      fields,
      ...(filter.activityTypeIds ? { typeIds: filter.activityTypeIds } : {}),
    };
    this.#jobs.set(job.exportId, job);
    return ok([job]);
  }
}

/** Names of the lead fields bulk export accepts (all REST fields). */
export const BULK_LEAD_FIELDS = LEAD_FIELDS.map((f) => f.name);
