import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MarketoClient } from '../marketo/client.ts';
import type { MarketoActivity, MarketoLead } from '../marketo/types.ts';
import { readActivityCsv } from './activity-csv.ts';
import { type BulkExtractClient, isExportQuotaWait } from './bulk-client.ts';
import { downloadExportFile } from './download.ts';
import type { ExportBudget } from './export-budget.ts';
import type { ExportCsvOptions, ExportCsvPage, RejectedRow } from './export-csv.ts';
import {
  type BulkJobState,
  nextAction,
  recreated,
  withDone,
  withFileGone,
  withJob,
  withProgress,
} from './job-state.ts';
import { readLeadCsv } from './lead-csv.ts';
import type { ExportJob } from './types.ts';

/** What {@link readBulkWindow} works with. */
export interface BulkWindowDeps {
  bulk: BulkExtractClient;
  /** Downloads the file (its quota reservation covers each request). */
  client: Pick<MarketoClient, 'stream'>;
  /** The instance's export budget and job slots; without it, only Marketo's own limits apply. */
  budget?: ExportBudget;
  /** Names this window's budget slot, the same across restarts (e.g. `<connection>:<stream>:<window start>`). */
  jobKey: string;
  /** Expected file size, for the budget and the first status poll's timing (e.g. from the previous window's); default 0. */
  estimateBytes?: number;
  clock: Clock;
  logger: Logger;
}

/** One step of a bulk window: rows to publish (maybe none) and the state to checkpoint with them. */
export interface BulkWindowStep<T> {
  rows: T[];
  rejected: RejectedRow[];
  /** Checkpoint this with the page: a restart passes it back to the reader. */
  state: BulkJobState;
}

/** One step of an activity window ({@link readBulkWindow}). */
export interface BulkWindowPage {
  activities: MarketoActivity[];
  rejected: RejectedRow[];
  /** Checkpoint this with the page: a restart passes it back to {@link readBulkWindow}. */
  state: BulkJobState;
}

/** Reads an export file's pages from where the state stands. */
type FileReader<T> = (file: AsyncIterable<Buffer>, options: ExportCsvOptions) => AsyncIterable<ExportCsvPage<T>>;

/** The rows of `page` numbered above `skipRows` (rows a lost job's file already published). */
function afterSkip<T>(page: ExportCsvPage<T>, skipRows: number): Pick<BulkWindowStep<T>, 'rows' | 'rejected'> {
  if (skipRows < page.firstRow) return { rows: page.rows, rejected: page.rejected };
  const skippedRows = Math.min(skipRows, page.rowsReached) - page.firstRow + 1;
  const skippedRejects = page.rejected.filter((r) => r.row <= skipRows).length;
  return {
    rows: page.rows.slice(skippedRows - skippedRejects),
    rejected: page.rejected.filter((r) => r.row > skipRows),
  };
}

const activityFile: FileReader<MarketoActivity> = async function* (file, options) {
  for await (const { activities, ...page } of readActivityCsv(file, options)) yield { ...page, rows: activities };
};

/**
 * Reads one activity window through Bulk Extract: {@link readExportWindow} with the activity
 * file's rows as activities.json records.
 */
export async function* readBulkWindow(
  start: BulkJobState,
  deps: BulkWindowDeps,
  signal?: AbortSignal,
): AsyncGenerator<BulkWindowPage> {
  if (start.kind !== 'activities') {
    throw new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, `readBulkWindow reads activities, not ${start.kind}`);
  }
  for await (const { rows, ...step } of readExportWindow(start, deps, activityFile, signal)) {
    yield { ...step, activities: rows };
  }
}

/**
 * Reads one lead window (`createdAt`, the state's `fields`) through Bulk Extract: {@link
 * readExportWindow} with the lead file's rows as leads.json records ({@link readLeadCsv}).
 */
export function readBulkLeadWindow(
  start: BulkJobState,
  deps: BulkWindowDeps,
  signal?: AbortSignal,
): AsyncGenerator<BulkWindowStep<MarketoLead>> {
  if (start.kind !== 'leads' || !start.fields?.length) {
    throw new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, 'readBulkLeadWindow reads lead exports with fields');
  }
  return readExportWindow(start, deps, readLeadCsv, signal);
}

/**
 * Reads one window of an export (activities or leads) through Bulk Extract from its checkpointed `state`, and yields what to
 * publish in order, each with the state to commit alongside: an empty step once the job exists
 * (so a restart never creates a second export of the window) and once it is Completed, then pages
 * of up to 300 rows from the file, the last one with `state.done`. A restarted reader resumes the
 * same job where the state stands (polling, or mid-file from the byte reached). A job that fails,
 * is cancelled, or whose file is gone is recreated once (logged), skipping the rows already
 * published; after that the window is given up with MarketoStreamError BULK_JOB_FAILED. Throws
 * BULK_WAIT (retriable, `retryAfterMs`) when the export budget or Marketo's queue says wait: call
 * again later with the last state.
 */
async function* readExportWindow<T>(
  start: BulkJobState,
  deps: BulkWindowDeps,
  readFile: FileReader<T>,
  signal?: AbortSignal,
): AsyncGenerator<BulkWindowStep<T>> {
  const kind = start.kind;
  const { bulk, budget, jobKey, clock } = deps;
  const logger = deps.logger.child({ component: 'bulk-window', jobKey });
  let state = start;
  const renewSlot = () => {
    budget?.claim(jobKey, deps.estimateBytes).catch((err: unknown) => {
      logger.warn({ err }, 'could not renew the bulk job slot');
    });
  };
  const onMarketoWait = async (err: unknown) => {
    // Marketo's own count says the day's exports are spent (the customer's other jobs count too).
    if (isExportQuotaWait(err)) await budget?.exhaust();
  };

  for (;;) {
    signal?.throwIfAborted();
    const action = nextAction(state, clock.now());
    switch (action.kind) {
      case 'done':
        return;
      case 'give-up':
        await budget?.release(jobKey);
        throw new MarketoStreamError(
          ErrorCodes.BULK_JOB_FAILED,
          `bulk ${kind} window ${state.window.startAt} … ${state.window.endAt} given up: ${action.reason}`,
        );
      case 'recreate':
        logger.warn({ exportId: state.exportId, reason: action.reason }, 'bulk export lost; creating it again once');
        await budget?.release(jobKey);
        state = recreated(state, action.reason);
        continue;
      case 'create': {
        await budget?.claim(jobKey, deps.estimateBytes);
        try {
          const types = state.activityTypeIds ? { activityTypeIds: state.activityTypeIds } : {};
          const job =
            kind === 'leads'
              ? await bulk.createLeadExport({ window: state.window, fields: state.fields ?? [] }, signal)
              : await bulk.createActivityExport({ window: state.window, ...types }, signal);
          state = withJob(state, job);
        } catch (err) {
          await onMarketoWait(err);
          await budget?.release(jobKey);
          throw err;
        }
        yield { rows: [], rejected: [], state };
        continue;
      }
      case 'enqueue':
      case 'poll': {
        let job: ExportJob;
        try {
          job = await bulk.waitForFile(
            kind,
            { exportId: state.exportId!, status: state.status ?? 'Created' },
            {
              signal,
              onStatus: renewSlot,
              ...(deps.estimateBytes ? { expectedBytes: deps.estimateBytes } : {}),
            },
          );
        } catch (err) {
          if (err instanceof MarketoStreamError && err.code === ErrorCodes.BULK_JOB_FAILED) {
            state = withJob(state, await bulk.status(kind, state.exportId!, signal));
            continue;
          }
          await onMarketoWait(err);
          throw err;
        }
        state = withJob(state, job);
        const finishedAt = job.finishedAt ? Date.parse(job.finishedAt) : undefined;
        await budget?.complete(jobKey, job.exportId, job.fileSize ?? 0, finishedAt);
        yield { rows: [], rejected: [], state };
        continue;
      }
      case 'download': {
        const file = downloadExportFile({
          client: deps.client,
          kind,
          exportId: state.exportId!,
          fileSize: state.fileSize ?? 0,
          ...(state.fileChecksum ? { fileChecksum: state.fileChecksum } : {}),
          fromByte: action.fromByte,
          clock,
          logger,
          signal,
        });
        try {
          for await (const page of readFile(file, {
            startByte: action.fromByte,
            startRow: action.fromRow,
            ...(state.columns ? { columns: state.columns } : {}),
          })) {
            state = withProgress(state, page);
            if (page.bytesReached >= (state.fileSize ?? 0)) state = withDone(state);
            yield { ...afterSkip(page, state.skipRows), state };
          }
        } catch (err) {
          if (err instanceof MarketoStreamError && err.code === ErrorCodes.BULK_FILE_GONE) {
            state = withFileGone(state);
            continue;
          }
          throw err;
        }
        if (!state.done) {
          // A file with no data rows, or with blank lines after its last row.
          state = withDone(state);
          yield { rows: [], rejected: [], state };
        }
        return;
      }
    }
  }
}
