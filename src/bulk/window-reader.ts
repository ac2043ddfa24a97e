import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MarketoClient } from '../marketo/client.ts';
import type { MarketoActivity } from '../marketo/types.ts';
import { type ActivityCsvPage, type RejectedRow, readActivityCsv } from './activity-csv.ts';
import { type BulkExtractClient, isExportQuotaWait } from './bulk-client.ts';
import { downloadExportFile } from './download.ts';
import type { ExportBudget } from './export-budget.ts';
import {
  type BulkJobState,
  nextAction,
  recreated,
  withDone,
  withFileGone,
  withJob,
  withProgress,
} from './job-state.ts';
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
  /** Expected file size, for the budget (e.g. from the previous window's); default 0. */
  estimateBytes?: number;
  clock: Clock;
  logger: Logger;
}

/** One step of a bulk window: rows to publish (maybe none) and the state to checkpoint with them. */
export interface BulkWindowPage {
  activities: MarketoActivity[];
  rejected: RejectedRow[];
  /** Checkpoint this with the page: a restart passes it back to {@link readBulkWindow}. */
  state: BulkJobState;
}

/** The rows of `page` numbered above `skipRows` (rows a lost job's file already published). */
function afterSkip(page: ActivityCsvPage, skipRows: number): Pick<BulkWindowPage, 'activities' | 'rejected'> {
  if (skipRows < page.firstRow) return { activities: page.activities, rejected: page.rejected };
  const skippedRows = Math.min(skipRows, page.rowsReached) - page.firstRow + 1;
  const skippedRejects = page.rejected.filter((r) => r.row <= skipRows).length;
  return {
    activities: page.activities.slice(skippedRows - skippedRejects),
    rejected: page.rejected.filter((r) => r.row > skipRows),
  };
}

/**
 * Reads one activity window through Bulk Extract from its checkpointed `state`, and yields what to
 * publish in order, each with the state to commit alongside: an empty step once the job exists
 * (so a restart never creates a second export of the window) and once it is Completed, then pages
 * of up to 300 rows from the file, the last one with `state.done`. A restarted reader resumes the
 * same job where the state stands (polling, or mid-file from the byte reached). A job that fails,
 * is cancelled, or whose file is gone is recreated once (logged), skipping the rows already
 * published; after that the window is given up with MarketoStreamError BULK_JOB_FAILED. Throws
 * BULK_WAIT (retriable, `retryAfterMs`) when the export budget or Marketo's queue says wait: call
 * again later with the last state.
 */
export async function* readBulkWindow(
  start: BulkJobState,
  deps: BulkWindowDeps,
  signal?: AbortSignal,
): AsyncGenerator<BulkWindowPage> {
  const kind = start.kind;
  if (kind !== 'activities') {
    throw new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, `the bulk window reader reads activities, not ${kind}`);
  }
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
          state = withJob(state, await bulk.createActivityExport({ window: state.window, ...types }, signal));
        } catch (err) {
          await onMarketoWait(err);
          await budget?.release(jobKey);
          throw err;
        }
        yield { activities: [], rejected: [], state };
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
        yield { activities: [], rejected: [], state };
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
          for await (const page of readActivityCsv(file, {
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
          yield { activities: [], rejected: [], state };
        }
        return;
      }
    }
  }
}
