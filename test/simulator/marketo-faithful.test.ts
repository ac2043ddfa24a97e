import { describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import type { SimulatorOptions } from '../../simulator/index.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const opts: SimulatorOptions = {
  seed: 5,
  leads: 200,
  activities: 5_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  now: '2026-01-20T00:00:00Z',
  clock: 'frozen',
  limits: { ratePer20s: false },
};

async function allPages(c: ReturnType<typeof simClient>, path: string): Promise<unknown[]> {
  let next = (await c.get('/rest/v1/activities/pagingtoken.json?sinceDatetime=2025-12-01T00:00:00Z')).json
    .nextPageToken;
  const out: unknown[] = [];
  for (let guard = 0; guard < 1_000; guard++) {
    const p = (await c.get(`${path}&nextPageToken=${next}`)).json;
    expect(p.success).toBe(true);
    out.push(...(p.result ?? []));
    next = p.nextPageToken;
    if (!p.moreResult) break;
  }
  return out;
}

describe('simulator: Marketo behaviours our client must not assume away', () => {
  it('response-level 500, 502, 614 and 702 faults are HTTP 200 success:false envelopes, in turn, not counted', async () => {
    const sim = await startSimulator(opts);
    const c = simClient(sim);
    sim.injectFault({ kind: 'error', endpoint: 'programs.json', codes: ['500', '502', '614', '702'] });
    const seen: { status: number; code: string; message: string }[] = [];
    sim.resetCounts();
    for (let i = 0; i < 4; i++) {
      const r = await c.get('/rest/asset/v1/programs.json');
      expect(r.json.success).toBe(false);
      seen.push({ status: r.status, code: r.json.errors[0].code, message: r.json.errors[0].message });
    }
    expect(seen.map((s) => [s.status, s.code])).toEqual([
      [200, '500'],
      [200, '502'],
      [200, '614'],
      [200, '702'],
    ]);
    expect(seen.every((s) => s.message.length > 0)).toBe(true);
    expect(sim.counts().total.counted).toBe(0);
  });

  it('a repeated list parameter is read with all its values, as a comma list is', async () => {
    const sim = await startSimulator(opts);
    const c = simClient(sim);
    const repeated = await allPages(c, '/rest/v1/activities.json?activityTypeIds=1&activityTypeIds=6');
    const joined = await allPages(c, '/rest/v1/activities.json?activityTypeIds=1,6');
    const types = new Set((repeated as { activityTypeId: number }[]).map((a) => a.activityTypeId));
    expect(types).toEqual(new Set([1, 6]));
    expect(repeated).toEqual(joined);
    const fields = (
      await c.get('/rest/v1/leads.json?filterType=id&filterValues=1&filterValues=2&fields=id&fields=email')
    ).json;
    expect(fields.success).toBe(true);
    for (const lead of fields.result) expect(Object.keys(lead).sort()).toEqual(expect.arrayContaining(['id']));
    expect(fields.result.map((l: { id: number }) => l.id).sort()).toEqual([1, 2]);
  });

  it('around a token expiry the identity service hands back the token the API already rejects: 602, then 601', async () => {
    const sim = await startSimulator({ ...opts, tokenApiLeadMs: 2_000 });
    const c = simClient(sim);
    const first = await c.token();
    sim.clock.advance(3600_000 - 1_500); // inside the API's lead, before the identity's expiry
    const call = () => c.get('/rest/v1/activities/types.json', { authorization: `Bearer ${first}` });
    expect((await call()).json.errors[0].code).toBe('602');
    expect(await c.token()).toBe(first); // the "refresh" yields the same token
    expect((await call()).json.errors[0].code).toBe('601');
    sim.clock.advance(2_000);
    const renewed = await c.token();
    expect(renewed).not.toBe(first);
    expect((await c.get('/rest/v1/activities/types.json', { authorization: `Bearer ${renewed}` })).json.success).toBe(
      true,
    );
  });

  it('missingActivityTypes leaves those types out of types.json', async () => {
    const sim = await startSimulator({ ...opts, missingActivityTypes: ['Send Sales Email', 45] });
    const types = (await simClient(sim).get('/rest/v1/activities/types.json')).json.result as {
      id: number;
      name: string;
    }[];
    expect(types.some((t) => t.name === 'Send Sales Email')).toBe(false);
    expect(types.some((t) => t.id === 45)).toBe(false);
    expect(types.some((t) => t.name === 'Fill Out Form')).toBe(true);
  });
});
