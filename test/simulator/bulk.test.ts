import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import type { Simulator } from '../../simulator/index.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const base = {
  seed: 5,
  leads: 200,
  activities: 5000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  now: '2026-02-01T00:00:00Z',
  clock: 'frozen' as const,
  limits: { ratePer20s: false as const },
};

async function call(
  sim: Simulator,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await fetch(sim.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

describe('bulk extract', () => {
  it('activities: createdAt filters on the activity date; a late arrival is in the file when Marketo shows it before the job runs, not after', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    const now = sim.clock.now();
    const dated = now - 20 * 3_600_000; // inside the window below
    const shown = sim.injectLateActivity({
      leadId: 7,
      activityTypeId: 6,
      activityDate: dated,
      visibleAt: now - 60_000,
    });
    const notYet = sim.injectLateActivity({
      leadId: 8,
      activityTypeId: 6,
      activityDate: dated,
      visibleAt: now + 3_600_000,
    });
    const window = { startAt: new Date(now - 26 * 3_600_000).toISOString(), endAt: new Date(now).toISOString() };
    const filter = { createdAt: window, activityTypeIds: [6] };
    const created = JSON.parse(
      (await call(sim, token, 'POST', '/bulk/v1/activities/export/create.json', { format: 'CSV', filter })).text,
    );
    const id = created.result[0].exportId;
    await call(sim, token, 'POST', `/bulk/v1/activities/export/${id}/enqueue.json`);
    sim.clock.advance(31_000);
    const file = (await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`)).text;
    const guids = file
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(guids).toContain(shown);
    expect(guids).not.toContain(notYet);
  });

  it('activities: create → enqueue → processing → completed → file (with Range) matches ground truth', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    const filter = {
      createdAt: { startAt: '2026-01-10T00:00:00Z', endAt: '2026-01-12T00:00:00Z' },
      activityTypeIds: [6, 10, 2],
    };
    const created = JSON.parse(
      (await call(sim, token, 'POST', '/bulk/v1/activities/export/create.json', { format: 'CSV', filter })).text,
    );
    expect(created.success).toBe(true);
    const id = created.result[0].exportId;
    expect(created.result[0].status).toBe('Created');
    const q = JSON.parse((await call(sim, token, 'POST', `/bulk/v1/activities/export/${id}/enqueue.json`)).text);
    expect(['Queued', 'Processing']).toContain(q.result[0].status);
    const early = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`);
    expect(early.status).toBe(404);
    expect(early.headers.get('content-type')).toMatch(/text\/plain/);
    sim.clock.advance(31_000);
    const st = JSON.parse((await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/status.json`)).text);
    expect(st.result[0]).toMatchObject({
      status: 'Completed',
      numberOfRecords: expect.any(Number),
      fileSize: expect.any(Number),
      fileChecksum: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const file = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`);
    expect(Buffer.byteLength(file.text)).toBe(st.result[0].fileSize);
    expect(`sha256:${createHash('sha256').update(file.text).digest('hex')}`).toBe(st.result[0].fileChecksum);
    expect(file.text.trimEnd().split('\n').length - 1).toBe(st.result[0].numberOfRecords);
    const lines = file.text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'marketoGUID,leadId,activityDate,activityTypeId,campaignId,primaryAttributeValueId,primaryAttributeValue,attributes',
    );
    const truth = [
      ...sim.truth.activities({ typeIds: [6, 10, 2], from: '2026-01-10T00:00:00Z', to: '2026-01-12T00:00:00Z' }),
    ];
    expect(lines.length - 1).toBe(truth.length);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(truth.map((a) => a.marketoGUID));
    expect(file.text).toMatch(/,null,/);
    expect(file.text).toMatch(/"\{""[A-Z]/);
    const part = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`, undefined, {
      range: 'bytes=0-99',
    });
    expect(part.status).toBe(206);
    expect(part.text).toBe(file.text.slice(0, 100));
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${Buffer.byteLength(file.text)}`);
    const size = Buffer.byteLength(file.text);
    const tail = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`, undefined, {
      range: `bytes=100-`,
    });
    expect(tail.status).toBe(206);
    expect(tail.text).toBe(file.text.slice(100));
    const beyond = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`, undefined, {
      range: `bytes=${size}-`,
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    const list = JSON.parse((await call(sim, token, 'GET', '/bulk/v1/activities/export.json?status=Completed')).text);
    expect(list.result.map((j: { exportId: string }) => j.exportId)).toEqual([id]);
  });

  it('leads export needs fields and a createdAt/updatedAt filter; produces null for empty values', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    const noFields = JSON.parse(
      (
        await call(sim, token, 'POST', '/bulk/v1/leads/export/create.json', {
          filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-20T00:00:00Z' } },
        })
      ).text,
    );
    expect(noFields.success).toBe(false);
    const c = JSON.parse(
      (
        await call(sim, token, 'POST', '/bulk/v1/leads/export/create.json', {
          fields: ['id', 'email', 'notes__c'],
          filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-20T00:00:00Z' } },
        })
      ).text,
    );
    const id = c.result[0].exportId;
    await call(sim, token, 'POST', `/bulk/v1/leads/export/${id}/enqueue.json`);
    sim.clock.advance(60_000);
    const file = (await call(sim, token, 'GET', `/bulk/v1/leads/export/${id}/file.json`)).text;
    const rows = file.trimEnd().split('\n');
    expect(rows[0]).toBe('id,email,notes__c');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.some((r) => r.endsWith(',null'))).toBe(true);
  });

  it('a lead filter the subscription does not offer: 1035 on create, no job; the other filter still works', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    sim.bulk.refuseLeadFilter('updatedAt');
    const create = async (filter: string) =>
      JSON.parse(
        (
          await call(sim, token, 'POST', '/bulk/v1/leads/export/create.json', {
            fields: ['id', 'email'],
            filter: { [filter]: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-20T00:00:00Z' } },
          })
        ).text,
      );
    const refused = await create('updatedAt');
    expect(refused.success).toBe(false);
    expect(refused.errors).toEqual([{ code: '1035', message: 'Unsupported filter type for target subscription' }]);
    expect(sim.bulk.jobs()).toEqual([]);
    expect((await create('createdAt')).success).toBe(true);
    sim.bulk.refuseLeadFilter('updatedAt', false);
    expect((await create('updatedAt')).success).toBe(true);
    expect(sim.bulk.jobs()).toHaveLength(2);
  });

  it('limits: 31-day window, 2 processing / 10 queued, daily byte budget; cancel', async () => {
    const sim = await startSimulator({ ...base, limits: { ratePer20s: false, bulkDailyBytes: 1 } });
    const token = await simClient(sim).token();
    const tooLong = JSON.parse(
      (
        await call(sim, token, 'POST', '/bulk/v1/activities/export/create.json', {
          filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-02T00:00:00Z' } },
        })
      ).text,
    );
    expect(tooLong.errors[0].code).toBe('1003');
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) {
      const r = JSON.parse(
        (
          await call(sim, token, 'POST', '/bulk/v1/activities/export/create.json', {
            filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' } },
          })
        ).text,
      );
      ids.push(r.result[0].exportId);
    }
    const statuses: string[] = [];
    for (const id of ids) {
      const r = JSON.parse((await call(sim, token, 'POST', `/bulk/v1/activities/export/${id}/enqueue.json`)).text);
      statuses.push(r.success ? r.result[0].status : r.errors[0].code);
    }
    // Marketo's 10 includes the 2 processing.
    expect(statuses.filter((s) => s === 'Processing')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'Queued')).toHaveLength(8);
    expect(statuses.slice(10)).toEqual(['1029', '1029', '1029']);
    const cancelled = JSON.parse(
      (await call(sim, token, 'POST', `/bulk/v1/activities/export/${ids[5]}/cancel.json`)).text,
    );
    expect(cancelled.result[0].status).toBe('Cancelled');
    sim.clock.advance(60_000); // the first two complete, exporting more than the 1-byte budget
    // Once the day's export quota is spent, Marketo refuses both create and enqueue.
    const fresh = await post(sim, token, '/bulk/v1/activities/export/create.json', {
      filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' } },
    });
    expect(fresh.errors[0]).toEqual({ code: '1029', message: 'Export daily quota 0MB exceeded' });
    const over = await post(sim, token, `/bulk/v1/activities/export/${ids[11]}/enqueue.json`);
    expect(over.errors[0]).toEqual({ code: '1029', message: 'Export daily quota 0MB exceeded' });
  });

  it('processing time grows with the file; jobs start when a slot frees, in queue order', async () => {
    const sim = await startSimulator({ ...base, bulkProcessingMs: 10_000, bulkProcessingMsPerMb: 1_000_000 });
    const token = await simClient(sim).token();
    const ids: string[] = [];
    for (const [startAt, endAt] of [
      ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'],
      ['2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z'],
      ['2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z'],
    ]) {
      const c = await post(sim, token, '/bulk/v1/activities/export/create.json', {
        filter: { createdAt: { startAt, endAt } },
      });
      ids.push(c.result[0].exportId);
      await post(sim, token, `/bulk/v1/activities/export/${c.result[0].exportId}/enqueue.json`);
    }
    sim.clock.advance(24 * 3600_000);
    const later = await simClient(sim).token();
    const jobs = await Promise.all(
      ids.map(async (id) => (await get(sim, later, `/bulk/v1/activities/export/${id}/status.json`)).result[0]),
    );
    const ms = (iso: string) => Date.parse(iso);
    const took = jobs.map((j) => ms(j.finishedAt) - ms(j.startedAt));
    // 10 s plus 1 ms per byte (to the second): the month-long file takes the longest.
    for (const [i, j] of jobs.entries()) expect(Math.abs(took[i]! - (10_000 + j.fileSize))).toBeLessThan(1000);
    expect(took[1]).toBeGreaterThan(took[0]! * 5);
    // The third waited for the first slot to free.
    expect(ms(jobs[2].startedAt)).toBe(ms(jobs[0].finishedAt));
  });

  it('daily export quota: 1029 on create and enqueue once spent, reset at Central midnight', async () => {
    // 2026-02-01T04:00Z is 22:00 on 31 January in Chicago (CST, UTC-6).
    const sim = await startSimulator({
      ...base,
      now: '2026-02-01T04:00:00Z',
      limits: { ratePer20s: false, bulkDailyBytes: 1000 },
    });
    const create = async () =>
      post(sim, await simClient(sim).token(), '/bulk/v1/activities/export/create.json', {
        filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-03T00:00:00Z' } },
      });
    const c = await create();
    await post(sim, await simClient(sim).token(), `/bulk/v1/activities/export/${c.result[0].exportId}/enqueue.json`);
    sim.clock.advance(1800_000);
    expect(sim.bulk.jobs()[0]).toMatchObject({ status: 'Completed', fileSize: expect.any(Number) });
    expect(sim.bulk.jobs()[0]!.fileSize).toBeGreaterThan(1000);
    expect((await create()).errors[0]).toEqual({ code: '1029', message: 'Export daily quota 0MB exceeded' });
    sim.clock.set('2026-02-01T05:59:59Z'); // 23:59:59 in Chicago
    expect((await create()).errors[0].code).toBe('1029');
    sim.clock.set('2026-02-01T06:00:00Z'); // midnight in Chicago
    expect((await create()).success).toBe(true);
  });

  it('faults: a failed job, a download cut mid-way (resumable with Range), an expired file; files go after 7 days', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    const window = { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-05T00:00:00Z' } };
    const run = async () => {
      const c = await post(sim, token, '/bulk/v1/activities/export/create.json', { filter: window });
      const id = c.result[0].exportId as string;
      await post(sim, token, `/bulk/v1/activities/export/${id}/enqueue.json`);
      sim.clock.advance(600_000);
      return { id, status: (await get(sim, token, `/bulk/v1/activities/export/${id}/status.json`)).result[0] };
    };
    sim.bulk.failNextJobs(1);
    const failed = await run();
    expect(failed.status).toMatchObject({ status: 'Failed', errorMsg: expect.any(String) });
    expect(failed.status.fileSize).toBeUndefined();

    const good = await run();
    expect(good.status.status).toBe('Completed');
    const path = `/bulk/v1/activities/export/${good.id}/file.json`;
    const whole = await call(sim, token, 'GET', path);
    sim.bulk.cutNextDownloads(1, 0.4);
    const received: Buffer[] = [];
    const cutErr = await fetch(sim.url + path, { headers: { authorization: `Bearer ${token}` } })
      .then(async (r) => {
        const reader = r.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          received.push(Buffer.from(value));
        }
      })
      .catch((e: unknown) => e);
    expect(cutErr).toBeInstanceOf(Error);
    const got = Buffer.concat(received).length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(good.status.fileSize);
    const rest = await call(sim, token, 'GET', path, undefined, { range: `bytes=${got}-` });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([Buffer.concat(received), Buffer.from(rest.text)]).toString()).toBe(whole.text);

    sim.bulk.expireFiles(good.id);
    const gone = await call(sim, token, 'GET', path);
    expect(gone.status).toBe(404);
    expect((await get(sim, token, `/bulk/v1/activities/export/${good.id}/status.json`)).result[0].status).toBe(
      'Completed',
    );

    const other = await run();
    expect((await call(sim, token, 'GET', `/bulk/v1/activities/export/${other.id}/file.json`)).status).toBe(200);
    sim.clock.advance(7 * 86400_000);
    const later = await simClient(sim).token();
    expect((await call(sim, later, 'GET', `/bulk/v1/activities/export/${other.id}/file.json`)).status).toBe(404);
    expect((await get(sim, later, '/bulk/v1/activities/export.json')).result).toEqual([]);
    expect(sim.bulk.jobs().map((j) => j.status)).toEqual(['Failed', 'Completed', 'Completed']);
  });

  it('the job list reads repeated and comma-separated status filters; Canceled is Cancelled', async () => {
    const sim = await startSimulator(base);
    const token = await simClient(sim).token();
    const window = { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' } };
    const a = (await post(sim, token, '/bulk/v1/activities/export/create.json', { filter: window })).result[0].exportId;
    const b = (await post(sim, token, '/bulk/v1/activities/export/create.json', { filter: window })).result[0].exportId;
    await post(sim, token, `/bulk/v1/activities/export/${b}/cancel.json`);
    const ids = async (q: string) =>
      (await get(sim, token, `/bulk/v1/activities/export.json?${q}`)).result.map(
        (j: { exportId: string }) => j.exportId,
      );
    expect(await ids('status=Created&status=Canceled')).toEqual([a, b]);
    expect(await ids('status=Created,Cancelled')).toEqual([a, b]);
    expect(await ids('status=Cancelled')).toEqual([b]);
    expect(sim.bulk.jobs().map((j) => j.window)).toEqual([
      { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' },
      { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' },
    ]);
  });

  it('numericGuids: marketoGUID is the id as text; bulkNoise writes NUL bytes and stray CRs', async () => {
    const sim = await startSimulator({ ...base, numericGuids: true, bulkNoise: true });
    const token = await simClient(sim).token();
    const c = await post(sim, token, '/bulk/v1/activities/export/create.json', {
      filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-10T00:00:00Z' } },
    });
    await post(sim, token, `/bulk/v1/activities/export/${c.result[0].exportId}/enqueue.json`);
    sim.clock.advance(600_000);
    const text = (await call(sim, token, 'GET', `/bulk/v1/activities/export/${c.result[0].exportId}/file.json`)).text;
    expect(text).toContain('\0');
    expect(text).toMatch(/\r,/);
    const truth = [...sim.truth.activities({ from: '2026-01-01T00:00:00Z', to: '2026-01-10T00:00:00Z' })];
    expect(truth.length).toBeGreaterThan(100);
    for (const a of truth) expect(a.marketoGUID).toBe(String(a.id));
  });
});

async function post(sim: Simulator, token: string, path: string, body?: unknown) {
  return JSON.parse((await call(sim, token, 'POST', path, body)).text);
}

async function get(sim: Simulator, token: string, path: string) {
  return JSON.parse((await call(sim, token, 'GET', path)).text);
}
