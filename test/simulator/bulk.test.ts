import { afterEach, describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

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
  it('activities: create → enqueue → processing → completed → file (with Range) matches ground truth', async () => {
    sim = await startSimulator(base);
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
    expect(JSON.parse((await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`)).text).success).toBe(
      false,
    );
    sim.clock.advance(31_000);
    const st = JSON.parse((await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/status.json`)).text);
    expect(st.result[0]).toMatchObject({
      status: 'Completed',
      numberOfRecords: expect.any(Number),
      fileSize: expect.any(Number),
    });
    const file = await call(sim, token, 'GET', `/bulk/v1/activities/export/${id}/file.json`);
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
    const list = JSON.parse((await call(sim, token, 'GET', '/bulk/v1/activities/export.json?status=Completed')).text);
    expect(list.result.map((j: { exportId: string }) => j.exportId)).toEqual([id]);
  });

  it('leads export needs fields and a createdAt/updatedAt filter; produces null for empty values', async () => {
    sim = await startSimulator(base);
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
    sim.clock.advance(30_000);
    const file = (await call(sim, token, 'GET', `/bulk/v1/leads/export/${id}/file.json`)).text;
    const rows = file.trimEnd().split('\n');
    expect(rows[0]).toBe('id,email,notes__c');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.some((r) => r.endsWith(',null'))).toBe(true);
  });

  it('limits: 31-day window, 2 processing / 10 queued, daily byte budget; cancel', async () => {
    sim = await startSimulator({ ...base, limits: { ratePer20s: false, bulkDailyBytes: 1 } });
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
    expect(statuses.filter((s) => s === 'Processing')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'Queued')).toHaveLength(10);
    expect(statuses[12]).toBe('1029');
    const cancelled = JSON.parse(
      (await call(sim, token, 'POST', `/bulk/v1/activities/export/${ids[5]}/cancel.json`)).text,
    );
    expect(cancelled.result[0].status).toBe('Cancelled');
    sim.clock.advance(30_000); // the first two complete, exporting more than the 1-byte budget
    const fresh = JSON.parse(
      (
        await call(sim, token, 'POST', '/bulk/v1/activities/export/create.json', {
          filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-02T00:00:00Z' } },
        })
      ).text,
    );
    const over = JSON.parse(
      (await call(sim, token, 'POST', `/bulk/v1/activities/export/${fresh.result[0].exportId}/enqueue.json`)).text,
    );
    expect(over.errors[0]).toEqual({ code: '1029', message: 'Export daily quota 0MB exceeded' });
  });
});
