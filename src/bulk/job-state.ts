import type { ExportJob, ExportKind, ExportStatus, ExportWindow } from './types.ts';

/** Marketo keeps an export's file this long after the job was created. */
export const FILE_RETENTION_MS = 7 * 86_400_000;
/** A failed, cancelled or expired job is recreated this many times, then the window is given up. */
export const MAX_RECREATIONS = 1;

/**
 * The checkpointable state of one bulk export (one window of one activity group, or of the lead snapshot).
 * Plain JSON: it travels inside the stream's cursor, so a restarted worker resumes the same job
 * (polling, downloading, or mid-file) instead of paying for a second export of the window.
 */
export interface BulkJobState {
  kind: ExportKind;
  window: ExportWindow;
  /** The activity types of the job (activities only); part of what the job exports. */
  activityTypeIds?: number[];
  /** The lead fields (REST names) of the job (leads only): the file's columns. */
  fields?: string[];
  /** Marketo's job, once created. */
  exportId?: string;
  /** Marketo's status as last seen; absent before the job exists. */
  status?: ExportStatus;
  /** When Marketo created the job (ISO), for the file's expiry. */
  createdAt?: string;
  /** Completed job's file: size in bytes, `sha256:<hex>`, rows. */
  fileSize?: number;
  fileChecksum?: string;
  numberOfRecords?: number;
  /** The file's header, once read (needed to resume mid-file). */
  columns?: string[];
  /** Data rows of the file published so far, and the file offset just past the last of them. */
  rowsReached: number;
  bytesReached: number;
  /**
   * Rows of a recreated job's file to skip: those the lost job's file already published. Marketo
   * writes a window's rows in the same order each time; de-duplication by marketoGUID covers the rest.
   */
  skipRows: number;
  /** True once the file answered 404 (expired or gone). */
  fileGone?: boolean;
  /** How many times the job was recreated (at most {@link MAX_RECREATIONS}). */
  recreations: number;
  /** Why the last job was lost, for the log and the operator. */
  lostReason?: string;
  /** Every row published: the window is done. */
  done?: boolean;
}

/** What to do next with a job. */
export type BulkJobAction =
  | { kind: 'create' }
  | { kind: 'enqueue' }
  | { kind: 'poll' }
  | { kind: 'download'; fromByte: number; fromRow: number }
  | { kind: 'recreate'; reason: string }
  | { kind: 'give-up'; reason: string }
  | { kind: 'done' };

/** The state of a window whose job does not exist yet (`fields`: a lead export's columns). */
export function newJobState(
  kind: ExportKind,
  window: ExportWindow,
  activityTypeIds?: number[],
  fields?: readonly string[],
): BulkJobState {
  return {
    kind,
    window: { ...window },
    ...(activityTypeIds ? { activityTypeIds: [...activityTypeIds] } : {}),
    ...(fields ? { fields: [...fields] } : {}),
    rowsReached: 0,
    bytesReached: 0,
    skipRows: 0,
    recreations: 0,
  };
}

function lost(state: BulkJobState, reason: string): BulkJobAction {
  return state.recreations < MAX_RECREATIONS ? { kind: 'recreate', reason } : { kind: 'give-up', reason };
}

/**
 * The next step for `state` at `now`: create a job when there is none; enqueue a Created one; poll
 * a Queued or Processing one; download a Completed one from the byte reached; recreate (once) a job
 * that Failed, was Cancelled, or whose file is gone or past its 7 days; give up after that.
 */
export function nextAction(state: BulkJobState, now: number): BulkJobAction {
  if (state.done) return { kind: 'done' };
  if (!state.exportId) return { kind: 'create' };
  const id = state.exportId;
  if (state.fileGone) return lost(state, `the file of export ${id} is gone (HTTP 404)`);
  switch (state.status) {
    case undefined:
    case 'Created':
      return { kind: 'enqueue' };
    case 'Queued':
    case 'Processing':
      return { kind: 'poll' };
    case 'Failed':
      return lost(state, `export ${id} failed${state.lostReason ? `: ${state.lostReason}` : ''}`);
    case 'Cancelled':
      return lost(state, `export ${id} was cancelled`);
    case 'Completed': {
      const created = state.createdAt ? Date.parse(state.createdAt) : Number.NaN;
      if (created + FILE_RETENTION_MS <= now) return lost(state, `the file of export ${id} expired (7 days)`);
      return { kind: 'download', fromByte: state.bytesReached, fromRow: state.rowsReached };
    }
  }
}

/** `state` with a job Marketo just created or reported on (a different exportId starts the file over). */
export function withJob(state: BulkJobState, job: ExportJob): BulkJobState {
  const sameJob = state.exportId === job.exportId;
  return {
    ...state,
    exportId: job.exportId,
    status: job.status,
    ...(job.createdAt ? { createdAt: job.createdAt } : {}),
    ...(job.fileSize !== undefined ? { fileSize: job.fileSize } : {}),
    ...(job.fileChecksum !== undefined ? { fileChecksum: job.fileChecksum } : {}),
    ...(job.numberOfRecords !== undefined ? { numberOfRecords: job.numberOfRecords } : {}),
    ...(job.errorMsg ? { lostReason: job.errorMsg } : {}),
    ...(sameJob ? {} : { rowsReached: 0, bytesReached: 0, columns: undefined, fileGone: undefined }),
  };
}

/** `state` after rows up to `rowsReached` (ending at file offset `bytesReached`) were published. */
export function withProgress(
  state: BulkJobState,
  progress: { rowsReached: number; bytesReached: number; columns: string[] },
): BulkJobState {
  return { ...state, ...progress };
}

/** `state` once the whole file is published. */
export function withDone(state: BulkJobState): BulkJobState {
  return { ...state, done: true };
}

/** `state` after the file endpoint answered 404. */
export function withFileGone(state: BulkJobState): BulkJobState {
  return { ...state, fileGone: true };
}

/**
 * `state` ready for a new job over the same window (after {@link nextAction} said `recreate`): the
 * old job is forgotten, and the rows its file already published are skipped in the new file.
 */
export function recreated(state: BulkJobState, reason: string): BulkJobState {
  return {
    kind: state.kind,
    window: state.window,
    ...(state.activityTypeIds ? { activityTypeIds: state.activityTypeIds } : {}),
    ...(state.fields ? { fields: state.fields } : {}),
    rowsReached: 0,
    bytesReached: 0,
    skipRows: Math.max(state.skipRows, state.rowsReached),
    recreations: state.recreations + 1,
    lostReason: reason,
  };
}
