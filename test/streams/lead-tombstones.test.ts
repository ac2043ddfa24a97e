import { describe, expect, it } from 'vitest';
import type { MarketoClient } from '../../src/marketo/index.ts';
import type { BulkBackfillCursor } from '../../src/streams/backfill-plan.ts';
import { LeadSnapshotGate } from '../../src/streams/lead-snapshot-gate.ts';
import { deletedLeadsStream } from '../../src/streams/leads-deleted.ts';
import { mergedLeadsStream } from '../../src/streams/leads-merged.ts';
import { FakeClock } from '../support/fake-clock.ts';

const START = '2026-01-01T00:00:00Z';
const HANDOVER = '2026-03-10T00:00:00Z';
const NOW = Date.parse('2026-03-10T12:00:00Z');

/** A Marketo client answering pagingtoken.json and one page of deleted leads, recording every call. */
function fakeClient() {
  const calls: { path: string; params: Record<string, unknown> }[] = [];
  const get = async (path: string, params: Record<string, unknown> = {}) => {
    calls.push({ path, params });
    if (path.endsWith('pagingtoken.json')) return { success: true, nextPageToken: `token@${params.sinceDatetime}` };
    return {
      success: true,
      moreResult: false,
      nextPageToken: 'after',
      result: [{ id: 1, marketoGUID: 'd-1', leadId: 42, activityDate: '2026-03-10T06:00:00Z', activityTypeId: 37 }],
    };
  };
  const client = { get, request: get } as unknown as MarketoClient;
  return { client, calls };
}

const ctx = () => ({
  clock: new FakeClock(NOW),
  logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
  signal: new AbortController().signal,
});

const options = (client: MarketoClient, snapshot?: LeadSnapshotGate) => ({
  client,
  topic: 't.leads',
  instance: 'i-1',
  schema: {},
  startDate: START,
  lookbackMs: 60_000,
  ...(snapshot ? { snapshot } : {}),
});

const snapshotCursor = (finished: boolean): BulkBackfillCursor => ({
  method: 'bulk',
  windowDays: 31,
  handoverAt: HANDOVER,
  windowStart: finished ? HANDOVER : START,
  windowsDone: finished ? 3 : 1,
  windowsTotal: 3,
  bulkWindows: 1,
  restWindows: 0,
  exportedBytes: 0,
  calls: 0,
  ...(finished ? { finished: true } : {}),
});

describe('tombstone streams and the lead snapshot', () => {
  it('without a snapshot (BACKFILL_METHOD=rest): the cursor and the first page are as before, from the start date', async () => {
    const { client, calls } = fakeClient();
    const stream = deletedLeadsStream(options(client));
    const cursor = stream.beginPass(stream.initialCursor(NOW), NOW);
    expect(cursor).not.toHaveProperty('awaitingSnapshot');
    const page = await stream.fetchPage(cursor, ctx());
    expect(calls[0]?.params.sinceDatetime).toBe(START);
    expect(page.records.map((r) => r.leadId)).toEqual([42]);
  });

  it('waits without a call while the snapshot is unknown or running, then starts at its handover point', async () => {
    for (const make of [deletedLeadsStream, mergedLeadsStream]) {
      const gate = new LeadSnapshotGate();
      const { client, calls } = fakeClient();
      const stream = make(options(client, gate));
      const first = stream.beginPass(stream.initialCursor(NOW), NOW);
      expect(first.awaitingSnapshot).toBe(true);
      expect(stream.inPass(first)).toBe(false);

      for (const state of ['unknown', 'running']) {
        expect(gate.state.state).toBe(state);
        const waiting = await stream.fetchPage(first, ctx());
        expect(waiting).toEqual({ records: [], cursor: first, done: true });
        expect(calls).toEqual([]);
        gate.committedCursor(snapshotCursor(false));
      }

      gate.finished(HANDOVER);
      const next = stream.beginPass(first, NOW + 3_600_000);
      expect(next.awaitingSnapshot).toBe(true);
      const page = await stream.fetchPage(next, ctx());
      expect(calls[0]?.params.sinceDatetime).toBe(HANDOVER);
      expect(page.cursor.awaitingSnapshot).toBeUndefined();
      expect(page.cursor.sinceDate).toBe(HANDOVER);
      // Later passes are the usual incremental ones.
      expect(stream.inPass(page.cursor)).toBe(false);
    }
  });

  it('a connection whose backfill took no snapshot (no bulk phase in the changes cursor) starts at the start date', async () => {
    const gate = new LeadSnapshotGate();
    gate.committedCursor(undefined);
    const { client, calls } = fakeClient();
    const stream = deletedLeadsStream(options(client, gate));
    await stream.fetchPage(stream.beginPass(stream.initialCursor(NOW), NOW), ctx());
    expect(calls[0]?.params.sinceDatetime).toBe(START);
  });

  it('a stream whose cursor is from before the snapshot goes on as it was', async () => {
    const gate = new LeadSnapshotGate();
    const { client, calls } = fakeClient();
    const stream = deletedLeadsStream(options(client, gate));
    const old = { seq: 4, phase: 'backfill' as const, updatedAt: '', sinceDate: START };
    await stream.fetchPage(old, ctx());
    expect(calls[0]?.params.sinceDatetime).toBe(START);
  });
});

describe('LeadSnapshotGate', () => {
  it('follows committed cursors and never closes once finished', () => {
    const gate = new LeadSnapshotGate();
    expect(gate.state).toEqual({ state: 'unknown' });
    gate.committedCursor(snapshotCursor(false));
    expect(gate.state).toEqual({ state: 'running' });
    gate.committedCursor(snapshotCursor(true));
    expect(gate.state).toEqual({ state: 'finished', handoverAt: HANDOVER });
    gate.committedCursor(snapshotCursor(false));
    gate.committedCursor(undefined);
    expect(gate.state).toEqual({ state: 'finished', handoverAt: HANDOVER });
  });
});
