import avro from 'avsc';
import type { IHeaders } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVITY_TYPES, type Simulator, type SimulatorOptions } from '../../simulator/index.ts';
import {
  BulkExtractClient,
  downloadExportFile,
  type ExportJob,
  type ExportWindow,
  newJobState,
  nextAction,
  readActivityCsv,
  recreated,
  withFileGone,
  withJob,
} from '../../src/bulk/index.ts';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { getActivitiesPage, getPagingToken, type MarketoActivity, parseMarketoDate } from '../../src/marketo/index.ts';
import {
  activitySchema,
  cloudEventHeaderFactory,
  EventTypes,
  recordKey,
  STREAM_HEADER,
  toActivityRecord,
} from '../../src/schemas/index.ts';
import { BULK_GROUP, BULK_NOW, BULK_WINDOW, type BulkRig, startBulkRig } from '../support/bulk-rig.ts';

const logger = createLogger({ level: 'silent' });
const NOW = BULK_NOW;
const GROUP = BULK_GROUP;
const WINDOW = BULK_WINDOW;
type Rig = BulkRig;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function rig(options: SimulatorOptions = {}): Promise<Rig> {
  const r = await startBulkRig(options);
  cleanups.push(() => r.close());
  return r;
}

/** Counted calls of the simulator per endpoint key. */
function counted(sim: Simulator, endpoint: string): number {
  return sim.counts().byEndpoint[endpoint]?.counted ?? 0;
}

async function completedJob(r: Rig, window = WINDOW): Promise<ExportJob> {
  const created = await r.bulk.createActivityExport({ window, activityTypeIds: GROUP });
  return r.bulk.waitForFile('activities', created);
}

async function bulkActivities(r: Rig, job: ExportJob): Promise<MarketoActivity[]> {
  const out: MarketoActivity[] = [];
  const file = downloadExportFile({
    client: r.client,
    kind: 'activities',
    ...job,
    fileSize: job.fileSize!,
    clock: r.clock,
    logger,
  });
  for await (const page of readActivityCsv(file)) {
    expect(page.rejected).toEqual([]);
    out.push(...page.activities);
  }
  return out;
}

async function restActivities(r: Rig, window: ExportWindow): Promise<MarketoActivity[]> {
  const from = parseMarketoDate(window.startAt);
  const to = parseMarketoDate(window.endAt);
  const out: MarketoActivity[] = [];
  let token = await getPagingToken(r.client, window.startAt);
  for (;;) {
    const page = await getActivitiesPage(r.client, { nextPageToken: token, activityTypeIds: GROUP });
    const records = page.result.filter((a) => {
      const t = parseMarketoDate(a.activityDate);
      return t >= from && t <= to;
    });
    out.push(...records);
    const last = page.result.at(-1);
    if (page.moreResult !== true || (last && parseMarketoDate(last.activityDate) > to)) return out;
    token = page.nextPageToken!;
  }
}

/** What the activity stream publishes for a record: Avro value, key and CloudEvents headers. */
function published(instance: string, raw: MarketoActivity) {
  const type = avro.Type.forSchema(activitySchema as unknown as avro.Schema);
  const typeName = ACTIVITY_TYPES.find((t) => t.id === raw.activityTypeId)?.name ?? `type ${raw.activityTypeId}`;
  const value = toActivityRecord(raw, { typeName, instance, connection: 'conn-1', pulledAt: Date.parse(NOW) });
  const headers: IHeaders = cloudEventHeaderFactory(
    { source: instance, type: EventTypes.activity },
    { [STREAM_HEADER]: `activities.${GROUP.join('-')}` },
  )(raw.marketoGUID, value.activityDate);
  const headerBytes = Object.entries(headers).map(([k, v]) => [k, Buffer.from(v as string | Buffer).toString('hex')]);
  return { value: type.toBuffer(value), key: recordKey(instance, raw.leadId), headers: headerBytes };
}

describe('bulk extract against the simulator (real Redis quota)', () => {
  it('a bulk export publishes byte-for-byte what activities.json gives for the same window', async () => {
    const r = await rig();
    const rest = await restActivities(r, WINDOW);
    const restCalls = r.sim.counts().total.counted;
    const job = await completedJob(r);
    const bulk = await bulkActivities(r, job);
    const bulkCalls = r.sim.counts().total.counted - restCalls;

    expect(rest.length).toBeGreaterThan(1000);
    expect(job.numberOfRecords).toBe(rest.length);
    expect(bulk.map((a) => a.marketoGUID)).toEqual(rest.map((a) => a.marketoGUID));
    let differing = 0;
    for (const [i, a] of rest.entries()) {
      const viaRest = published(r.instance, a);
      const viaBulk = published(r.instance, bulk[i]!);
      if (!viaRest.value.equals(viaBulk.value) || viaRest.key !== viaBulk.key) differing++;
      expect(viaBulk.headers).toEqual(viaRest.headers);
    }
    expect(differing).toBe(0);
    // The file was written with NUL bytes and stray CRs, and still reads as the REST records.
    expect(bulk).toEqual(rest.map((a) => ({ ...a, attributes: a.attributes ?? [] })));
    // A window of thousands of activities: a handful of bulk calls against a page per 300 on REST.
    expect(restCalls).toBeGreaterThanOrEqual(Math.ceil(rest.length / 300));
    expect(bulkCalls).toBeLessThanOrEqual(8);
  });

  it('where marketoGUID is not the decimal id (migrated instances), id is the one field bulk cannot give', async () => {
    const r = await rig({ numericGuids: false });
    const window = { startAt: '2026-01-10T00:00:00Z', endAt: '2026-01-11T00:00:00Z' };
    const rest = await restActivities(r, window);
    const bulk = await bulkActivities(r, await completedJob(r, window));
    expect(bulk.length).toBe(rest.length);
    expect(bulk.every((a) => a.id === undefined)).toBe(true);
    expect(bulk).toEqual(rest.map(({ id: _id, ...a }) => ({ ...a, attributes: a.attributes ?? [] })));
    expect(published(r.instance, bulk[0]!).value.equals(published(r.instance, rest[0]!).value)).toBe(false);
  });

  it('a job lives Created → Queued → Processing → Completed with few status polls (sizes grow the wait)', async () => {
    const r = await rig({ bulkProcessingMs: 60_000, bulkProcessingMsPerMb: 600_000 });
    const seen: string[] = [];
    const created = await r.bulk.createActivityExport({ window: WINDOW, activityTypeIds: GROUP });
    expect(created.status).toBe('Created');
    const started = r.clock.now();
    const job = await r.bulk.waitForFile('activities', created, { onStatus: (j) => seen.push(j.status) });
    const waited = r.clock.now() - started;
    expect(job).toMatchObject({ status: 'Completed', fileChecksum: expect.stringMatching(/^sha256:/) });
    expect(seen[0]).toBe('Processing'); // an empty queue starts it at once
    expect(seen.at(-1)).toBe('Completed');
    const polls = counted(r.sim, '/bulk/v1/activities/export/{exportId}/status.json');
    // Minutes of processing cost a few polls: 1 + 2 + 4 + 5 + 5 … minutes apart.
    expect(waited).toBeGreaterThan(5 * 60_000);
    expect(polls).toBe(seen.length - 1);
    expect(polls).toBeLessThanOrEqual(2 + Math.ceil(waited / 300_000));
  });

  it('a full queue (1029) is waited out, not failed: the job is enqueued once a slot frees', async () => {
    const r = await rig({ bulkProcessingMs: 120_000, bulkProcessingMsPerMb: 0 });
    // Another integration of the customer fills Marketo's queue of 10.
    for (let day = 1; day <= 10; day++) {
      const other = await r.bulk.createActivityExport({
        window: { startAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`, endAt: '2026-01-20T00:00:00Z' },
      });
      await r.bulk.enqueue('activities', other.exportId);
    }
    const ours = await r.bulk.createActivityExport({ window: WINDOW, activityTypeIds: GROUP });
    const refused = await r.bulk.enqueue('activities', ours.exportId).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCodes.BULK_WAIT, retriable: true, retryAfterMs: 300_000 });
    const job = await r.bulk.waitForFile('activities', ours);
    expect(job.status).toBe('Completed');
    expect(r.clock.sleeps).toContain(300_000);
    const enqueues = r.sim.counts().byEndpoint['/bulk/v1/activities/export/{exportId}/enqueue.json']!;
    expect(enqueues.requests).toBeGreaterThanOrEqual(12); // 10 others, ours refused, ours accepted
    expect(r.sim.bulk.jobs().filter((j) => j.activityTypeIds !== undefined)).toHaveLength(1);
  });

  it('a cut download is resumed with Range from the byte reached; a restart resumes mid-file from its checkpoint', async () => {
    const r = await rig();
    const job = await completedJob(r);
    const whole = await bulkActivities(r, job);
    const fileCalls = () => counted(r.sim, '/bulk/v1/activities/export/{exportId}/file.json');
    const before = fileCalls();

    r.sim.bulk.cutNextDownloads(2, 0.3);
    const resumed = await bulkActivities(r, job); // the checksum is verified at its end
    expect(resumed).toEqual(whole);
    expect(fileCalls() - before).toBe(3); // the cut one, the cut resumption, the rest

    // A token revoked under the download: 601 in a JSON envelope, refreshed once, then the file.
    r.sim.injectFault({ kind: 'revokeToken', endpoint: 'file.json', times: 1 });
    expect(await bulkActivities(r, job)).toEqual(whole);
    // Each file request held a quota slot while its body streamed, and gave it back.
    expect((await r.quota.status()).inFlight.calls).toBe(0);
    expect((await r.quota.status()).byEndpoint['bulk/v1/activities/export/:id/file']).toBe(fileCalls());

    // A worker publishes one page, checkpoints it, and dies; its successor starts at the checkpoint.
    let checkpoint: { rowsReached: number; bytesReached: number; columns: string[] } | undefined;
    for await (const page of readActivityCsv(
      downloadExportFile({
        client: r.client,
        kind: 'activities',
        ...job,
        fileSize: job.fileSize!,
        clock: r.clock,
        logger,
      }),
    )) {
      checkpoint = { rowsReached: page.rowsReached, bytesReached: page.bytesReached, columns: page.columns };
      break;
    }
    const rest: MarketoActivity[] = [];
    const file = downloadExportFile({
      client: r.client,
      kind: 'activities',
      exportId: job.exportId,
      fileSize: job.fileSize!,
      fromByte: checkpoint!.bytesReached,
      clock: r.clock,
      logger,
    });
    for await (const page of readActivityCsv(file, {
      startByte: checkpoint!.bytesReached,
      startRow: checkpoint!.rowsReached,
      columns: checkpoint!.columns,
    })) {
      rest.push(...page.activities);
    }
    expect(checkpoint!.rowsReached).toBe(300);
    expect([...whole.slice(0, 300), ...rest]).toEqual(whole);
    expect(r.sim.bulk.jobs()).toHaveLength(1); // never a second export of the window
  });

  it('restart, failure and expiry: the same job is resumed; a failed or expired one is recreated once', async () => {
    const r = await rig();
    // Created and enqueued, then the worker dies; its checkpoint holds the job state as JSON.
    let state = newJobState('activities', WINDOW, GROUP);
    state = withJob(state, await r.bulk.createActivityExport({ window: WINDOW, activityTypeIds: GROUP }));
    state = withJob(state, await r.bulk.enqueue('activities', state.exportId!));
    const restored = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(nextAction(restored, r.clock.now())).toEqual({ kind: 'poll' });
    const successor = new BulkExtractClient({ client: r.client, clock: r.clock, logger });
    const done = await successor.waitForFile('activities', await successor.status('activities', restored.exportId!));
    expect(done.exportId).toBe(state.exportId);
    expect(r.sim.bulk.jobs()).toHaveLength(1);

    // The file expires: 404 is BULK_FILE_GONE, and the state says recreate (once).
    state = withJob(restored, done);
    r.sim.bulk.expireFiles(done.exportId);
    const gone = await bulkActivities(r, done).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: ErrorCodes.BULK_FILE_GONE });
    state = withFileGone(state);
    const action = nextAction(state, r.clock.now());
    expect(action.kind).toBe('recreate');
    state = recreated(state, action.kind === 'recreate' ? action.reason : '');

    // The recreated job fails: BULK_JOB_FAILED, and the state gives the window up.
    r.sim.bulk.failNextJobs(1);
    const second = await r.bulk.createActivityExport({ window: WINDOW, activityTypeIds: GROUP });
    state = withJob(state, second);
    const failed = await r.bulk.waitForFile('activities', second).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MarketoStreamError);
    expect(failed).toMatchObject({ code: ErrorCodes.BULK_JOB_FAILED });
    state = withJob(state, await r.bulk.status('activities', second.exportId));
    expect(nextAction(state, r.clock.now())).toMatchObject({ kind: 'give-up' });
    expect(r.sim.bulk.jobs().map((j) => j.status)).toEqual(['Completed', 'Failed']);
  });
});
