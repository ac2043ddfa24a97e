import { describe, expect, it } from 'vitest';
import {
  FILE_RETENTION_MS,
  newJobState,
  nextAction,
  recreated,
  withDone,
  withFileGone,
  withJob,
  withProgress,
} from '../../src/bulk/job-state.ts';

const window = { startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-01T00:00:00Z' };
const created = '2026-03-01T00:00:00Z';
const now = Date.parse('2026-03-02T00:00:00Z');
const fresh = () => newJobState('activities', window, [1, 6]);
const completed = () =>
  withJob(fresh(), {
    exportId: 'e1',
    status: 'Completed',
    createdAt: created,
    fileSize: 1000,
    fileChecksum: 'sha256:ab',
    numberOfRecords: 10,
  });

describe('bulk job state', () => {
  it('walks create → enqueue → poll → download → done', () => {
    let s = fresh();
    expect(nextAction(s, now)).toEqual({ kind: 'create' });
    s = withJob(s, { exportId: 'e1', status: 'Created', createdAt: created });
    expect(nextAction(s, now)).toEqual({ kind: 'enqueue' });
    s = withJob(s, { exportId: 'e1', status: 'Queued' });
    expect(nextAction(s, now)).toEqual({ kind: 'poll' });
    s = withJob(s, { exportId: 'e1', status: 'Processing' });
    expect(nextAction(s, now)).toEqual({ kind: 'poll' });
    s = withJob(s, { exportId: 'e1', status: 'Completed', fileSize: 1000, fileChecksum: 'sha256:ab' });
    expect(s.createdAt).toBe(created);
    expect(nextAction(s, now)).toEqual({ kind: 'download', fromByte: 0, fromRow: 0 });
    s = withProgress(s, { rowsReached: 300, bytesReached: 400, columns: ['marketoGUID'] });
    expect(nextAction(s, now)).toEqual({ kind: 'download', fromByte: 400, fromRow: 300 });
    expect(nextAction(withDone(s), now)).toEqual({ kind: 'done' });
  });

  it('survives a restart as JSON: the same job is resumed mid-file, never created again', () => {
    const s = withProgress(completed(), { rowsReached: 300, bytesReached: 400, columns: ['a', 'b'] });
    const restored = JSON.parse(JSON.stringify(s));
    expect(restored).toEqual(s);
    expect(nextAction(restored, now)).toEqual({ kind: 'download', fromByte: 400, fromRow: 300 });
  });

  it('recreates a failed, cancelled or expired job once, skipping rows already published, then gives up', () => {
    const failed = withJob(fresh(), { exportId: 'e1', status: 'Failed', errorMsg: 'internal error' });
    expect(nextAction(failed, now)).toEqual({ kind: 'recreate', reason: 'export e1 failed: internal error' });
    expect(nextAction(withJob(fresh(), { exportId: 'e1', status: 'Cancelled' }), now)).toMatchObject({
      kind: 'recreate',
    });

    const halfRead = withProgress(completed(), { rowsReached: 600, bytesReached: 800, columns: ['a'] });
    const gone = withFileGone(halfRead);
    const action = nextAction(gone, now);
    expect(action).toEqual({ kind: 'recreate', reason: 'the file of export e1 is gone (HTTP 404)' });
    const again = recreated(gone, action.kind === 'recreate' ? action.reason : '');
    expect(again).toMatchObject({ recreations: 1, skipRows: 600, rowsReached: 0, bytesReached: 0 });
    expect(again.exportId).toBeUndefined();
    expect(again.activityTypeIds).toEqual([1, 6]);
    expect(nextAction(again, now)).toEqual({ kind: 'create' });

    const second = withJob(again, { exportId: 'e2', status: 'Failed' });
    expect(nextAction(second, now)).toEqual({
      kind: 'give-up',
      reason: 'export e2 failed: the file of export e1 is gone (HTTP 404)',
    });
  });

  it('a Completed job past its 7 days is recreated without trying the file', () => {
    const s = completed();
    expect(nextAction(s, Date.parse(created) + FILE_RETENTION_MS - 1)).toMatchObject({ kind: 'download' });
    expect(nextAction(s, Date.parse(created) + FILE_RETENTION_MS)).toEqual({
      kind: 'recreate',
      reason: 'the file of export e1 expired (7 days)',
    });
  });

  it('a status from a different job starts its file from the beginning', () => {
    const s = withProgress(completed(), { rowsReached: 300, bytesReached: 400, columns: ['a'] });
    const other = withJob(s, { exportId: 'e9', status: 'Queued' });
    expect(other).toMatchObject({ exportId: 'e9', rowsReached: 0, bytesReached: 0 });
    expect(other.columns).toBeUndefined();
  });
});
