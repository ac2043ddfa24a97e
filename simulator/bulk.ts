import { createHash } from 'node:crypto';
import { businessFailure, failure, leadDbSuccess, type Reply } from './envelope.ts';
import { guid, isoZ, parseMarketoDate } from './hash.ts';
import { LEAD_FIELDS, leadFieldIndex } from './lead-fields.ts';
import type { Limits } from './limits.ts';
import { listParam } from './params.ts';
import { activityJson, typeMask, type World } from './world.ts';

type JobStatus = 'Created' | 'Queued' | 'Processing' | 'Completed' | 'Failed' | 'Cancelled';
type ExportKind = 'activities' | 'leads';

interface Job {
  exportId: string;
  kind: ExportKind;
  format: string;
  status: JobStatus;
  createdAt: number;
  queuedAt?: number;
  startedAt?: number;
  /** When a Processing job finishes (simulator ms): grows with its file. */
  completesAt?: number;
  finishedAt?: number;
  from: number;
  to: number;
  filterField: 'createdAt' | 'updatedAt';
  fields: string[];
  headers: string[];
  typeIds?: number[];
  /** Built when processing starts (the data as of then); kept until the file expires. */
  file?: Buffer;
  checksum?: string;
  numberOfRecords?: number;
  willFail?: boolean;
  errorMsg?: string;
  /** Removed before its 7 days (an injected fault). */
  fileGone?: boolean;
}

/** A job as the simulator's counters show it, for tests ("no second job for that window"). */
export interface BulkJobInfo {
  exportId: string;
  kind: ExportKind;
  status: JobStatus;
  createdAt: string;
  window: { startAt: string; endAt: string };
  activityTypeIds?: number[];
  numberOfRecords?: number;
  fileSize?: number;
}

const DAY = 86400_000;
/** Files (and the jobs in the list endpoint) are kept this long after the job was created. */
const RETENTION_MS = 7 * DAY;
const MB = 1_000_000;
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
/** Accepted on top of the default activity columns (Marketo's optional `actionResult`). */
const EXTRA_ACTIVITY_COLUMNS = ['actionResult'];
const ALL_TYPE_IDS = Array.from({ length: 1024 }, (_, i) => i);

/** A CSV cell as Marketo writes it: `null` for no value, quoted when it holds a comma, quote, CR or LF. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'null';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function statusList(query: URLSearchParams): JobStatus[] | undefined {
  const values = listParam(query, 'status');
  if (!values) return undefined;
  return values.map((v) => (v === 'Canceled' ? 'Cancelled' : v) as JobStatus);
}

function textReply(status: number, text: string): Reply {
  return { status, body: text, contentType: 'text/plain', counted: false };
}

/**
 * Marketo's Bulk Extract for activities and leads (/bulk/v1/{activities|leads}/export/…), as Adobe
 * documents it: Created → Queued → Processing → Completed | Failed | Cancelled; at most 2 jobs
 * Processing and 10 Queued or Processing (`1029 Too many jobs … in queue` on enqueue); a job takes
 * `processingMs` plus `processingMsPerMb` per MB of its file; status carries `numberOfRecords`,
 * `fileSize` and `fileChecksum` (`sha256:…`) once Completed; the day's export bytes (Central
 * midnight) above `limits.bulkDailyBytes` refuse create and enqueue with `1029 Export daily quota
 * …MB exceeded`; activity windows over 31 days are refused; the file endpoint answers 404 with a
 * plain-text body when the job is not Completed, unknown, or past its 7 days, honours `Range`
 * (206 with Content-Range), and serves the CSV as Marketo writes it (`null` for no value, attributes
 * as a JSON object in a quoted cell). Faults: failed jobs, downloads cut mid-way, expired files,
 * lead filters the subscription refuses (`1035`).
 * States advance lazily whenever a bulk endpoint is called.
 */
export class BulkExtract {
  readonly #world: World;
  readonly #limits: Limits;
  readonly #seed: number;
  readonly #jobs = new Map<string, Job>();
  #created = 0;
  #failNext = 0;
  #cutNext = 0;
  #cutAt = 0.5;
  processingMs = 30_000;
  processingMsPerMb = 5_000;
  maxProcessing = 2;
  /** Jobs Queued or Processing at once (Marketo counts the running ones in its 10). */
  maxQueued = 10;
  /** Write NUL bytes and stray CRs into activity files now and then, as Marketo's files have them. */
  noise = false;
  /**
   * Lead export filters this subscription does not offer: their create call answers `1035
   * Unsupported filter type for target subscription`, as Adobe documents for the filters that
   * need infrastructure not rolled out to every subscription (updatedAt, smartListId, smartListName).
   */
  readonly refusedLeadFilters = new Set<string>();
  /** Wall ms spent building export files (a bench in the same process takes it out of its own time). */
  fileBuildMs = 0;

  constructor(world: World, limits: Limits, seed: number) {
    this.#world = world;
    this.#limits = limits;
    this.#seed = seed;
  }

  /** Every job created so far, oldest first (whatever its state), as of `now`. */
  jobs(now: number): BulkJobInfo[] {
    this.#tick(now);
    return [...this.#jobs.values()].map((j) => ({
      exportId: j.exportId,
      kind: j.kind,
      status: j.status,
      createdAt: isoZ(j.createdAt),
      window: { startAt: isoZ(j.from), endAt: isoZ(j.to) },
      ...(j.typeIds ? { activityTypeIds: [...j.typeIds] } : {}),
      ...(j.file ? { numberOfRecords: j.numberOfRecords, fileSize: j.file.length } : {}),
    }));
  }

  /** The next `n` jobs to start processing end Failed (no file, nothing metered). */
  failNextJobs(n = 1): void {
    this.#failNext += n;
  }

  /** The next `n` file downloads stop after `fraction` of the bytes they promised, and the connection drops. */
  cutNextDownloads(n = 1, fraction = 0.5): void {
    this.#cutNext += n;
    this.#cutAt = fraction;
  }

  /** Removes the file of `exportId` (or of every job) as if its 7 days had passed. */
  expireFiles(exportId?: string): void {
    for (const j of this.#jobs.values()) if (exportId === undefined || j.exportId === exportId) j.fileGone = true;
  }

  #count(...statuses: JobStatus[]): number {
    let n = 0;
    for (const j of this.#jobs.values()) if (statuses.includes(j.status)) n++;
    return n;
  }

  /** Finishes due jobs in time order and moves queued ones into the slots they free, up to `now`. */
  #tick(now: number): void {
    let freedAt = Number.NEGATIVE_INFINITY;
    for (;;) {
      const queued = [...this.#jobs.values()]
        .filter((j) => j.status === 'Queued')
        .sort((a, b) => a.queuedAt! - b.queuedAt!);
      for (const j of queued) {
        if (this.#count('Processing') >= this.maxProcessing) break;
        this.#start(j, Math.max(j.queuedAt!, freedAt));
      }
      let next: Job | undefined;
      for (const j of this.#jobs.values()) {
        if (j.status === 'Processing' && (!next || j.completesAt! < next.completesAt!)) next = j;
      }
      if (!next || next.completesAt! > now) return;
      this.#finish(next);
      freedAt = next.completesAt!;
    }
  }

  #start(j: Job, at: number): void {
    j.status = 'Processing';
    j.startedAt = at;
    if (this.#failNext > 0) {
      this.#failNext--;
      j.willFail = true;
      j.completesAt = at + this.processingMs;
      return;
    }
    const t0 = performance.now();
    const { file, rows } = j.kind === 'activities' ? this.#activityFile(j, at) : this.#leadFile(j, at);
    this.fileBuildMs += performance.now() - t0;
    j.file = file;
    j.numberOfRecords = rows;
    j.checksum = `sha256:${createHash('sha256').update(file).digest('hex')}`;
    j.completesAt = at + this.processingMs + Math.round((this.processingMsPerMb * file.length) / MB);
  }

  #finish(j: Job): void {
    j.finishedAt = j.completesAt;
    if (j.willFail) {
      j.status = 'Failed';
      j.errorMsg = 'Export job failed: internal error';
      return;
    }
    j.status = 'Completed';
    this.#limits.addBulkBytes(j.completesAt!, j.file!.length);
  }

  #activityFile(j: Job, at: number): { file: Buffer; rows: number } {
    const lines: string[] = [j.headers.join(',')];
    const mask = typeMask(j.typeIds ?? ALL_TYPE_IDS);
    let rows = 0;
    for (const a of this.#world.iterate({ typeMask: mask }, j.from, j.to, at)) {
      const rec = JSON.parse(activityJson(a, isoZ(a.date))) as Record<string, unknown> & {
        attributes: { name: string; value: unknown }[];
      };
      const attrs: Record<string, unknown> = {};
      for (const x of rec.attributes) attrs[x.name] = x.value;
      const row: Record<string, unknown> = { ...rec, attributes: attrs, actionResult: 'succeeded' };
      let line = j.fields.map((f) => csvCell(row[f])).join(',');
      rows++;
      // Marketo's files carry NUL bytes and CRs now and then; readers drop them.
      if (this.noise && rows % 7 === 0) line = line.replace(',', '\0,');
      if (this.noise && rows % 11 === 0) line = line.replace(/^([^,]*,[^,]*),/, '$1\r,');
      if (this.noise && rows % 13 === 0) line += '\r';
      lines.push(line);
    }
    return { file: Buffer.from(`${lines.join('\n')}\n`), rows };
  }

  #leadFile(j: Job, at: number): { file: Buffer; rows: number } {
    const lines: string[] = [j.headers.join(',')];
    const idx = [...j.fields, j.filterField].map((f) => leadFieldIndex(f));
    const L = this.#world.leads;
    for (let id = 1; id <= L.count; id++) {
      const rec = L.record(id, at, idx);
      if (!rec) continue;
      const key = Date.parse(String(rec[j.filterField]));
      if (key < j.from || key > j.to) continue;
      lines.push(j.fields.map((f) => csvCell(rec[f])).join(','));
    }
    return { file: Buffer.from(`${lines.join('\n')}\n`), rows: lines.length - 1 };
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
      ...(j.status === 'Completed'
        ? { numberOfRecords: j.numberOfRecords, fileSize: j.file!.length, fileChecksum: j.checksum }
        : {}),
      ...(j.errorMsg ? { errorMsg: j.errorMsg } : {}),
    };
  }

  #quotaSpent(requestId: string, now: number): Reply | undefined {
    const cap = this.#limits.settings.bulkDailyBytes;
    if (cap === false || this.#limits.bulkBytesToday(now) < cap) return undefined;
    return businessFailure(requestId, '1029', `Export daily quota ${Math.round(cap / MB)}MB exceeded`);
  }

  /** Handles one bulk request. `action` is create | enqueue | status | file | cancel | list. */
  handle(
    requestId: string,
    kind: ExportKind,
    action: string,
    exportId: string | undefined,
    body: string,
    query: URLSearchParams,
    range: string | undefined,
    now: number,
  ): Reply {
    this.#tick(now);
    const ok = (jobs: Job[]) => leadDbSuccess(requestId, JSON.stringify(jobs.map((j) => this.#view(j))));
    if (action === 'create') return this.#quotaSpent(requestId, now) ?? this.#create(requestId, kind, body, now, ok);
    if (action === 'list') {
      const wanted = statusList(query);
      const jobs = [...this.#jobs.values()].filter(
        (j) => j.kind === kind && j.createdAt > now - RETENTION_MS && (!wanted || wanted.includes(j.status)),
      );
      return ok(jobs);
    }
    const j = exportId ? this.#jobs.get(exportId) : undefined;
    if (action === 'file') return this.#file(j?.kind === kind ? j : undefined, exportId, range, now);
    if (!j || j.kind !== kind) return failure(requestId, '1003', `Export Id ${exportId} not found`);
    switch (action) {
      case 'enqueue': {
        if (j.status !== 'Created') return businessFailure(requestId, '1003', `Export ${j.exportId} is ${j.status}`);
        const spent = this.#quotaSpent(requestId, now);
        if (spent) return spent;
        if (this.#count('Queued', 'Processing') >= this.maxQueued)
          return businessFailure(requestId, '1029', `Too many jobs (${this.maxQueued}) in queue`);
        j.status = 'Queued';
        j.queuedAt = now;
        this.#tick(now);
        return ok([j]);
      }
      case 'status':
        return ok([j]);
      case 'cancel':
        if (j.status === 'Created' || j.status === 'Queued' || j.status === 'Processing') {
          j.status = 'Cancelled';
          j.file = undefined;
          this.#tick(now);
        }
        return ok([j]);
      default:
        return failure(requestId, '610', 'Requested resource not found');
    }
  }

  #file(j: Job | undefined, exportId: string | undefined, range: string | undefined, now: number): Reply {
    if (!j) return textReply(404, `Export ${exportId} not found`);
    if (j.status !== 'Completed' || !j.file) return textReply(404, `Export ${j.exportId} is not completed`);
    if (j.fileGone || now >= j.createdAt + RETENTION_MS)
      return textReply(404, `File of export ${j.exportId} not found`);
    const size = j.file.length;
    let status = 200;
    let body = j.file;
    const headers: Record<string, string> = { 'accept-ranges': 'bytes' };
    // RFC 7233 `bytes=a-b`, `bytes=a-`, `bytes=-n`; Marketo's own example writes `bytes a-b`.
    const m = range ? /^bytes[= ](\d*)-(\d*)$/.exec(range.trim()) : null;
    if (m && (m[1] || m[2])) {
      const startByte = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
      const endByte = m[1] && m[2] ? Math.min(size - 1, Number(m[2])) : size - 1;
      if (startByte >= size || endByte < startByte) {
        return {
          ...textReply(416, 'Requested range not satisfiable'),
          headers: { 'content-range': `bytes */${size}` },
        };
      }
      status = 206;
      body = j.file.subarray(startByte, endByte + 1);
      headers['content-range'] = `bytes ${startByte}-${endByte}/${size}`;
    }
    const cut = this.#cutNext > 0 ? Math.max(1, Math.floor(body.length * this.#cutAt)) : undefined;
    if (cut !== undefined) this.#cutNext--;
    return {
      status,
      body,
      contentType: 'text/csv',
      headers,
      counted: true,
      ...(cut !== undefined ? { cutAfter: cut } : {}),
    };
  }

  #create(requestId: string, kind: ExportKind, body: string, now: number, ok: (jobs: Job[]) => Reply): Reply {
    let spec: {
      format?: string;
      fields?: string[];
      columnHeaderNames?: Record<string, string>;
      filter?: Record<string, { startAt?: string; endAt?: string }> & { activityTypeIds?: number[] };
    };
    try {
      spec = JSON.parse(body || '{}');
    } catch {
      return failure(requestId, '609', 'Invalid JSON');
    }
    const filter = spec.filter ?? {};
    if (kind === 'leads') {
      const refused = Object.keys(filter).find((f) => this.refusedLeadFilters.has(f));
      if (refused) return businessFailure(requestId, '1035', 'Unsupported filter type for target subscription');
    }
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
      const bad = fields.find((f) => !ACTIVITY_COLUMNS.includes(f) && !EXTRA_ACTIVITY_COLUMNS.includes(f));
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
      headers: fields.map((f) => spec.columnHeaderNames?.[f] ?? f),
      ...(filter.activityTypeIds ? { typeIds: filter.activityTypeIds } : {}),
    };
    this.#jobs.set(job.exportId, job);
    return ok([job]);
  }
}

/** Names of the lead fields bulk export accepts (all REST fields). */
export const BULK_LEAD_FIELDS = LEAD_FIELDS.map((f) => f.name);
