import { describe, expect, it } from 'vitest';
import { BulkExtractClient, expectedProcessingMs, pollDelay, toExportJob } from '../../src/bulk/bulk-client.ts';
import type { ExportJob } from '../../src/bulk/types.ts';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { MarketoResponse } from '../../src/marketo/types.ts';
import { FakeClock } from '../support/fake-clock.ts';

const logger = createLogger({ level: 'silent' });
type Answer = Record<string, unknown> | MarketoStreamError;

/** A `request` that answers from a script per path suffix and records every call. */
function fakeClient(script: Record<string, Answer[]>) {
  const calls: { method: string; path: string; body?: unknown; query?: unknown }[] = [];
  return {
    calls,
    request: async <T>(
      method: 'GET' | 'POST',
      path: string,
      options: { body?: unknown; query?: unknown } = {},
    ): Promise<MarketoResponse<T>> => {
      calls.push({ method, path, body: options.body, query: options.query });
      const key = Object.keys(script).find((k) => path.endsWith(k));
      const answer = key ? script[key]!.shift() : undefined;
      if (!answer) throw new Error(`no scripted answer for ${method} ${path}`);
      if (answer instanceof MarketoStreamError) throw answer;
      return { result: [answer as T], warnings: [], raw: {} };
    },
  };
}

const job = (status: string, extra: Record<string, unknown> = {}) => ({ exportId: 'e1', status, ...extra });
const rejected1029 = (message: string) =>
  new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, `Marketo error 1029 "${message}"`, { marketoCode: '1029' });

describe('BulkExtractClient', () => {
  it('polls after 60 s, then doubling to 5 min: few status calls for a long job', async () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => pollDelay(n, 60_000, 300_000))).toEqual([
      60_000, 120_000, 240_000, 300_000, 300_000, 300_000,
    ]);
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const fake = fakeClient({
      '/enqueue.json': [job('Queued')],
      '/status.json': [job('Queued'), job('Processing'), job('Processing'), job('Completed', { fileSize: 10 })],
    });
    const bulk = new BulkExtractClient({ client: fake, clock, logger });
    const seen: string[] = [];
    const done = await bulk.waitForFile('activities', toExportJob(job('Created')), {
      onStatus: (j) => seen.push(j.status),
    });
    expect(done).toMatchObject({ status: 'Completed', fileSize: 10 });
    expect(clock.sleeps).toEqual([60_000, 120_000, 240_000, 300_000]);
    expect(seen).toEqual(['Queued', 'Queued', 'Processing', 'Processing', 'Completed']);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /bulk/v1/activities/export/e1/enqueue.json',
      ...Array(4).fill('GET /bulk/v1/activities/export/e1/status.json'),
    ]);
  });

  it('times the first poll from the jobs seen finished: a job on time costs one poll', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const MB = 1_000_000;
    // Marketo's times: 30 s plus 5 s per MB from enqueueing to the file.
    const finished = (id: string, mb: number) => {
      const queued = clock.now();
      return {
        exportId: id,
        status: 'Completed',
        fileSize: mb * MB,
        queuedAt: new Date(queued).toISOString(),
        finishedAt: new Date(queued + 30_000 + 5_000 * mb).toISOString(),
      };
    };
    const fake = fakeClient({ '/status.json': [] });
    const bulk = new BulkExtractClient({ client: fake, clock, logger });
    const run = async (id: string, mb: number, expectedBytes: number, answers: Answer[]) => {
      fake.calls.length = 0;
      clock.sleeps.length = 0;
      const done = finished(id, mb);
      fake.request = fakeClient({ '/status.json': [...answers, done] }).request;
      await bulk.waitForFile('activities', toExportJob({ exportId: id, status: 'Queued' }), { expectedBytes });
      return [...clock.sleeps];
    };
    // Nothing seen yet: the backoff (60 s, then 120 s for a job of 130 s).
    expect(await run('a', 20, 20 * MB, [job('Processing')])).toEqual([60_000, 120_000]);
    // One size seen: its time, scaled to a larger file; 10 % later than expected.
    expect(await run('b', 1, 1 * MB, [])).toEqual([143_000]);
    // Two sizes: the line through them (30 s + 5 s per MB) gives 30 MB → 180 s, polled at 198 s.
    expect(await run('c', 30, 30 * MB, [])).toEqual([198_000]);
    // A job later than expected: the backoff from 60 s after the timed poll.
    expect(await run('d', 30, 20 * MB, [job('Processing'), job('Processing')])).toEqual([143_000, 60_000, 120_000]);
    // No expected size: the backoff, as before.
    expect(await run('e', 1, 0, [])).toEqual([60_000]);
    // A file expected far larger than any seen: polled after an hour at most.
    expect(await run('f', 1, 5_000 * MB, [])).toEqual([3_600_000]);
    expect(expectedProcessingMs([], 1)).toBeUndefined();
    expect(expectedProcessingMs([{ bytes: 10, ms: 100 }], 5)).toBe(100);
    expect(expectedProcessingMs([{ bytes: 10, ms: 100 }], 20)).toBe(200);
    // One small size seen: a file a hundred times larger is expected at four times its time, not a hundred.
    expect(expectedProcessingMs([{ bytes: 10, ms: 100 }], 1_000)).toBe(400);
    // Larger files that went faster (a busy queue before): no negative cost per byte.
    expect(
      expectedProcessingMs(
        [
          { bytes: 10, ms: 300 },
          { bytes: 20, ms: 100 },
        ],
        50,
      ),
    ).toBe(300);
  });

  it('a full queue (1029) is a wait: it enqueues again after queueFullWaitMs', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const fake = fakeClient({
      '/enqueue.json': [rejected1029('Too many jobs (10) in queue'), job('Queued')],
      '/status.json': [job('Completed', { fileSize: 1 })],
    });
    const bulk = new BulkExtractClient({ client: fake, clock, logger, queueFullWaitMs: 120_000 });
    await expect(bulk.waitForFile('leads', toExportJob(job('Created')))).resolves.toMatchObject({
      status: 'Completed',
    });
    expect(clock.sleeps).toEqual([120_000, 60_000]);
  });

  it('a job already enqueued before a restart (enqueue refused) is followed by its status', async () => {
    const clock = new FakeClock();
    const fake = fakeClient({
      '/enqueue.json': [
        new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, 'Marketo error 1003 "Export e1 is Queued"'),
      ],
      '/status.json': [job('Processing'), job('Completed', { fileSize: 3 })],
    });
    const bulk = new BulkExtractClient({ client: fake, clock, logger });
    await expect(bulk.waitForFile('activities', toExportJob(job('Created')))).resolves.toMatchObject({
      status: 'Completed',
    });
    expect(fake.calls.map((c) => c.path.split('/').at(-1))).toEqual(['enqueue.json', 'status.json', 'status.json']);
  });

  it('a spent export quota (1029) is BULK_WAIT until Central midnight, not a failure', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z'); // 06:00 in Chicago (CST)
    const fake = fakeClient({ '/create.json': [rejected1029('Export daily quota 500MB exceeded')] });
    const bulk = new BulkExtractClient({ client: fake, clock, logger });
    const err = await bulk
      .createActivityExport({ window: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-01T00:00:00Z' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.BULK_WAIT, retriable: true, marketoCode: '1029' });
    expect((err as MarketoStreamError).retryAfterMs).toBe(18 * 3600_000);
    expect(fake.calls[0]).toMatchObject({
      method: 'POST',
      body: {
        format: 'CSV',
        fields: [
          'marketoGUID',
          'leadId',
          'activityDate',
          'activityTypeId',
          'campaignId',
          'primaryAttributeValueId',
          'primaryAttributeValue',
          'attributes',
        ],
        filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-01T00:00:00Z' } },
      },
    });
  });

  it('Failed and Cancelled jobs end the wait with BULK_JOB_FAILED', async () => {
    const clock = new FakeClock();
    const fake = fakeClient({ '/status.json': [job('Failed', { errorMsg: 'internal' }), job('Canceled')] });
    const bulk = new BulkExtractClient({ client: fake, clock, logger });
    await expect(bulk.waitForFile('activities', toExportJob(job('Queued')))).rejects.toMatchObject({
      code: ErrorCodes.BULK_JOB_FAILED,
      message: expect.stringContaining('ended Failed: internal'),
    });
    await expect(bulk.waitForFile('activities', toExportJob(job('Processing')))).rejects.toMatchObject({
      code: ErrorCodes.BULK_JOB_FAILED,
      message: expect.stringContaining('ended Cancelled'),
    });
  });

  it('refuses a window Marketo would refuse, without a call', async () => {
    const fake = fakeClient({});
    const bulk = new BulkExtractClient({ client: fake, clock: new FakeClock(), logger });
    await expect(
      bulk.createActivityExport({ window: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-01T00:00:01Z' } }),
    ).rejects.toMatchObject({ code: ErrorCodes.REQUEST_REJECTED });
    expect(fake.calls).toEqual([]);
  });

  it('reads a job: Canceled is Cancelled, absent numbers stay absent', () => {
    const parsed: ExportJob = toExportJob({ exportId: 'x', status: 'Canceled', format: 'CSV', fileSize: null });
    expect(parsed).toEqual({ exportId: 'x', status: 'Cancelled', format: 'CSV' });
  });
});
