import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MarketoClient } from '../marketo/client.ts';
import { formatMarketoDate } from '../marketo/dates.ts';
import { localDay } from '../quota/day.ts';
import { ACTIVITY_EXPORT_FIELDS } from './activity-csv.ts';
import type { ExportJob, ExportKind, ExportStatus, ExportWindow } from './types.ts';

/** Options of {@link BulkExtractClient}. */
export interface BulkExtractClientOptions {
  /** Makes the calls: its quota reservation, token and retries apply to every bulk call. */
  client: Pick<MarketoClient, 'request'>;
  clock: Clock;
  logger: Logger;
  /** First status poll this long after enqueueing, and the shortest gap between polls (default 60 000 ms: Marketo refreshes a job's status at most once a minute). */
  pollMinMs?: number;
  /** The longest gap between polls (default 300 000 ms: Adobe's advice for most uses). */
  pollMaxMs?: number;
  /** Wait after `1029 Too many jobs in queue` before enqueueing again (default 300 000 ms). */
  queueFullWaitMs?: number;
  /** The zone whose midnight resets Marketo's daily export quota (default America/Chicago). */
  timeZone?: string;
}

/** A job's wait, as {@link BulkExtractClient.waitForFile} reports it. */
export type StatusListener = (job: ExportJob) => void;

const DAY = 86_400_000;
const EXPORT_QUOTA_SPENT = 'the daily export quota is spent';
const TERMINAL: readonly ExportStatus[] = ['Completed', 'Failed', 'Cancelled'];

/** True for the BULK_WAIT of a spent daily export quota (Marketo's 1029), as opposed to a full queue. */
export function isExportQuotaWait(err: unknown): boolean {
  return (
    err instanceof MarketoStreamError &&
    err.code === ErrorCodes.BULK_WAIT &&
    err.marketoCode === '1029' &&
    err.message.includes(EXPORT_QUOTA_SPENT)
  );
}

function path(kind: ExportKind, action: string, exportId?: string): string {
  return exportId ? `/bulk/v1/${kind}/export/${exportId}/${action}.json` : `/bulk/v1/${kind}/export/${action}.json`;
}

/** Marketo's job JSON as a typed {@link ExportJob}; `Canceled` is read as `Cancelled`. */
export function toExportJob(raw: Record<string, unknown>): ExportJob {
  const status = raw.status === 'Canceled' ? 'Cancelled' : (raw.status as ExportStatus);
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const num = (k: string) => (typeof raw[k] === 'number' ? (raw[k] as number) : undefined);
  const job: ExportJob = { exportId: String(raw.exportId), status };
  const fields = {
    format: str('format'),
    createdAt: str('createdAt'),
    queuedAt: str('queuedAt'),
    startedAt: str('startedAt'),
    finishedAt: str('finishedAt'),
    numberOfRecords: num('numberOfRecords'),
    fileSize: num('fileSize'),
    fileChecksum: str('fileChecksum'),
    errorMsg: str('errorMsg'),
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (job as unknown as Record<string, unknown>)[k] = v;
  return job;
}

/**
 * The gap before status poll number `polls + 1` (0-based `polls` already made since the job was
 * enqueued): `pollMinMs`, doubling each time up to `pollMaxMs`. A job of a few minutes is seen
 * done within a few polls; a job of hours costs about one poll per `pollMaxMs`.
 */
export function pollDelay(polls: number, pollMinMs: number, pollMaxMs: number): number {
  return Math.min(pollMaxMs, pollMinMs * 2 ** Math.min(polls, 30));
}

/** A finished job's file size and its time from enqueueing to finishing. */
export interface ProcessingSample {
  bytes: number;
  ms: number;
}

/** Samples kept per export kind for {@link expectedProcessingMs}. */
const PROCESSING_SAMPLES = 8;
/** The first poll comes this much after the expected finish (as a share of it), so a job on time is seen done at once. */
const FIRST_POLL_MARGIN = 1.1;
/**
 * The longest wait before a timed first poll: an estimate thrown off (by a queue that held an
 * earlier job for hours, say) costs at most this much delay, and the job's budget slot is renewed
 * by the poll well within its lifetime.
 */
const FIRST_POLL_MAX_MS = 3_600_000;
/** With jobs of one size seen only, a larger file is expected to take at most this many times as long. */
const ONE_SIZE_MAX_SCALE = 4;

/**
 * How long a job with a file of `bytes` should take from enqueueing to finishing, from the jobs of
 * the same kind seen finished: a least-squares line (a fixed cost plus a cost per byte, neither
 * below 0) through samples of different sizes; with one size only, that sample's time kept for a
 * smaller file and scaled up for a larger one, at most {@link ONE_SIZE_MAX_SCALE} times (a job's
 * time has a fixed part, so scaling a small first file's time to a file many times larger would
 * hold that job long past its finish; a job later than expected costs a poll or two, then there
 * are two sizes). Undefined without samples.
 */
export function expectedProcessingMs(samples: readonly ProcessingSample[], bytes: number): number | undefined {
  if (samples.length === 0) return undefined;
  const n = samples.length;
  const meanBytes = samples.reduce((a, s) => a + s.bytes, 0) / n;
  const meanMs = samples.reduce((a, s) => a + s.ms, 0) / n;
  const spread = samples.reduce((a, s) => a + (s.bytes - meanBytes) ** 2, 0);
  if (spread === 0) return meanMs * Math.min(ONE_SIZE_MAX_SCALE, Math.max(1, bytes / Math.max(meanBytes, 1)));
  let perByte = samples.reduce((a, s) => a + (s.bytes - meanBytes) * (s.ms - meanMs), 0) / spread;
  let fixed = meanMs - perByte * meanBytes;
  if (perByte < 0) {
    perByte = 0;
    fixed = Math.max(...samples.map((s) => s.ms));
  } else if (fixed < 0) {
    fixed = 0;
    perByte =
      samples.reduce((a, s) => a + s.ms, 0) /
      Math.max(
        samples.reduce((a, s) => a + s.bytes, 0),
        1,
      );
  }
  return fixed + perByte * bytes;
}

/**
 * Bulk Extract jobs over the REST client: create, enqueue, status, cancel, list, and a polling
 * wait with backoff that keeps status calls few. Every call is a Marketo call (quota, pacing,
 * retries of the client). Marketo's `1029` (job queue full, daily export quota spent) becomes a
 * retriable MarketoStreamError BULK_WAIT with `retryAfterMs` (the next Central midnight for the
 * quota), never a failure.
 */
export class BulkExtractClient {
  readonly #client: Pick<MarketoClient, 'request'>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #pollMinMs: number;
  readonly #pollMaxMs: number;
  readonly #queueFullWaitMs: number;
  readonly #timeZone: string;
  /** Finished jobs' sizes and processing times, per kind (newest last), to time the first status poll. */
  readonly #samples = new Map<ExportKind, ProcessingSample[]>();

  constructor(options: BulkExtractClientOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'bulk-extract' });
    this.#pollMinMs = options.pollMinMs ?? 60_000;
    this.#pollMaxMs = Math.max(this.#pollMinMs, options.pollMaxMs ?? 300_000);
    this.#queueFullWaitMs = options.queueFullWaitMs ?? 300_000;
    this.#timeZone = options.timeZone ?? 'America/Chicago';
  }

  /**
   * Creates (does not enqueue) an activity export of `window` (`createdAt`, ≤ 31 days), optionally
   * narrowed to `activityTypeIds`, with Marketo's default columns unless `fields` names others.
   */
  async createActivityExport(
    spec: { window: ExportWindow; activityTypeIds?: readonly number[]; fields?: readonly string[] },
    signal?: AbortSignal,
  ): Promise<ExportJob> {
    checkWindow(spec.window);
    return this.#one('activities', 'create', undefined, signal, {
      format: 'CSV',
      fields: [...(spec.fields ?? ACTIVITY_EXPORT_FIELDS)],
      filter: {
        createdAt: windowFilter(spec.window),
        ...(spec.activityTypeIds ? { activityTypeIds: [...spec.activityTypeIds] } : {}),
      },
    });
  }

  /** Creates (does not enqueue) a lead export of `fields` for leads created (or updated) in `window`. */
  async createLeadExport(
    spec: { window: ExportWindow; fields: readonly string[]; filter?: 'createdAt' | 'updatedAt' },
    signal?: AbortSignal,
  ): Promise<ExportJob> {
    checkWindow(spec.window);
    return this.#one('leads', 'create', undefined, signal, {
      format: 'CSV',
      fields: [...spec.fields],
      filter: { [spec.filter ?? 'createdAt']: windowFilter(spec.window) },
    });
  }

  /** Puts a Created job in Marketo's queue. BULK_WAIT when the queue is full or the day's export quota is spent. */
  enqueue(kind: ExportKind, exportId: string, signal?: AbortSignal): Promise<ExportJob> {
    return this.#one(kind, 'enqueue', exportId, signal, {});
  }

  /** The job's status (a Marketo call: poll sparingly). */
  status(kind: ExportKind, exportId: string, signal?: AbortSignal): Promise<ExportJob> {
    return this.#one(kind, 'status', exportId, signal);
  }

  /** Cancels a job that is not finished. */
  cancel(kind: ExportKind, exportId: string, signal?: AbortSignal): Promise<ExportJob> {
    return this.#one(kind, 'cancel', exportId, signal, {});
  }

  /** Jobs of the last 7 days created by this API user, optionally only those in `statuses`. */
  async list(kind: ExportKind, statuses?: readonly ExportStatus[], signal?: AbortSignal): Promise<ExportJob[]> {
    const response = await this.#call(kind, 'GET', `/bulk/v1/${kind}/export.json`, signal, undefined, {
      ...(statuses ? { status: [...statuses] } : {}),
    });
    return response.result.map(toExportJob);
  }

  /**
   * Waits until `job` is Completed and returns it (with fileSize and fileChecksum): enqueues it
   * while it is Created (waiting out a full queue; a job Marketo refuses to enqueue because it
   * already was, e.g. before a restart, is followed by its status), then polls its status. With
   * `expectedBytes` (the file's expected size) and jobs of this kind seen finished before, the
   * first poll comes when the job should be done ({@link expectedProcessingMs}, with a margin),
   * so a job on time costs one poll; otherwise, and after a poll that finds it still running,
   * polls follow {@link pollDelay}. Throws MarketoStreamError BULK_JOB_FAILED when it ends Failed or Cancelled,
   * BULK_WAIT when the day's export quota is spent (until the next Central midnight), or the
   * signal's reason when aborted.
   */
  async waitForFile(
    kind: ExportKind,
    job: ExportJob,
    options: { signal?: AbortSignal; onStatus?: StatusListener; expectedBytes?: number } = {},
  ): Promise<ExportJob> {
    const { signal, onStatus } = options;
    let current = job;
    let polls = 0;
    // The first poll (of this call) is timed by the expected processing, when there is one.
    let timedFirstPoll = true;
    for (;;) {
      signal?.throwIfAborted();
      if (current.status === 'Completed') {
        this.#learn(kind, current);
        return current;
      }
      if (current.status === 'Failed' || current.status === 'Cancelled') {
        throw new MarketoStreamError(
          ErrorCodes.BULK_JOB_FAILED,
          `bulk ${kind} export ${current.exportId} ended ${current.status}${current.errorMsg ? `: ${current.errorMsg}` : ''}`,
        );
      }
      if (current.status === 'Created') {
        try {
          current = await this.enqueue(kind, current.exportId, signal);
          onStatus?.(current);
          polls = 0;
          continue;
        } catch (err) {
          if (err instanceof MarketoStreamError && err.code === ErrorCodes.REQUEST_REJECTED) {
            // A job enqueued before a restart that was not checkpointed: Marketo refuses to enqueue
            // it again. Its status says where it stands.
            const actual = await this.status(kind, current.exportId, signal);
            if (actual.status === 'Created') throw err;
            current = actual;
            onStatus?.(current);
            continue;
          }
          if (!(err instanceof MarketoStreamError) || err.code !== ErrorCodes.BULK_WAIT) throw err;
          if (isExportQuotaWait(err)) throw err; // waiting for midnight is the caller's decision
          this.#logger.info({ exportId: current.exportId, waitMs: err.retryAfterMs }, err.message);
          await this.#clock.sleep(err.retryAfterMs ?? this.#queueFullWaitMs, signal);
          continue;
        }
      }
      const expected = timedFirstPoll ? this.#firstPollMs(kind, options.expectedBytes) : undefined;
      timedFirstPoll = false;
      await this.#clock.sleep(expected ?? pollDelay(polls++, this.#pollMinMs, this.#pollMaxMs), signal);
      signal?.throwIfAborted();
      current = await this.status(kind, current.exportId, signal);
      onStatus?.(current);
      if (!TERMINAL.includes(current.status)) {
        this.#logger.debug({ exportId: current.exportId, status: current.status, polls }, 'bulk export not done yet');
      }
    }
  }

  /** The wait before the first status poll of a job expected to hold `bytes`, or undefined when nothing says. */
  #firstPollMs(kind: ExportKind, bytes: number | undefined): number | undefined {
    if (bytes === undefined) return undefined;
    const expected = expectedProcessingMs(this.#samples.get(kind) ?? [], bytes);
    // Whole seconds: Marketo reports its times to the second.
    if (expected === undefined) return undefined;
    const timed = Math.round((expected * FIRST_POLL_MARGIN) / 1000) * 1000;
    return Math.max(this.#pollMinMs, Math.min(FIRST_POLL_MAX_MS, timed));
  }

  /** Keeps a finished job's size and time from enqueueing to finishing (Marketo's `queuedAt`, `finishedAt`). */
  #learn(kind: ExportKind, job: ExportJob): void {
    const ms = Date.parse(job.finishedAt ?? '') - Date.parse(job.queuedAt ?? '');
    if (!(ms >= 0) || job.fileSize === undefined) return;
    const samples = this.#samples.get(kind) ?? [];
    samples.push({ bytes: job.fileSize, ms });
    if (samples.length > PROCESSING_SAMPLES) samples.shift();
    this.#samples.set(kind, samples);
  }

  async #one(
    kind: ExportKind,
    action: string,
    exportId: string | undefined,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<ExportJob> {
    const method = body === undefined ? 'GET' : 'POST';
    const response = await this.#call(kind, method, path(kind, action, exportId), signal, body);
    const first = response.result[0];
    if (!first) {
      throw new MarketoStreamError(
        ErrorCodes.MALFORMED_RESPONSE,
        `bulk ${kind} ${action}${exportId ? ` of ${exportId}` : ''}: no job in Marketo's answer`,
        { retriable: true, requestId: response.requestId },
      );
    }
    return toExportJob(first);
  }

  async #call(
    kind: ExportKind,
    method: 'GET' | 'POST',
    callPath: string,
    signal: AbortSignal | undefined,
    body?: unknown,
    query?: Record<string, string[]>,
  ) {
    try {
      return await this.#client.request<Record<string, unknown>>(method, callPath, {
        ...(body !== undefined && method === 'POST' ? { body } : {}),
        ...(query ? { query } : {}),
        signal,
      });
    } catch (err) {
      if (err instanceof MarketoStreamError && err.marketoCode === '1029') throw this.#wait(kind, err);
      throw err;
    }
  }

  /** Marketo's 1029: the day's export quota (wait for the Central midnight) or a full queue (wait a while). */
  #wait(kind: ExportKind, err: MarketoStreamError): MarketoStreamError {
    const now = this.#clock.now();
    const quotaSpent = /quota/i.test(err.message);
    const retryAfterMs = quotaSpent ? localDay(now, this.#timeZone).resetAt - now : this.#queueFullWaitMs;
    const why = quotaSpent ? EXPORT_QUOTA_SPENT : 'the export job queue is full';
    return new MarketoStreamError(ErrorCodes.BULK_WAIT, `bulk ${kind} export must wait: ${why} (${err.message})`, {
      retriable: true,
      marketoCode: '1029',
      requestId: err.requestId,
      retryAfterMs,
    });
  }
}

function windowFilter(window: ExportWindow): { startAt: string; endAt: string } {
  return { startAt: formatMarketoDate(window.startAt), endAt: formatMarketoDate(window.endAt) };
}

/** A window Marketo would refuse is a bug of the caller (the planner cuts windows of ≤ 31 days). */
function checkWindow(window: ExportWindow): void {
  const span = Date.parse(window.endAt) - Date.parse(window.startAt);
  if (!(span >= 0 && span <= 31 * DAY)) {
    throw new MarketoStreamError(
      ErrorCodes.REQUEST_REJECTED,
      `bulk export window ${window.startAt} … ${window.endAt} is not 0 to 31 days long`,
    );
  }
}
