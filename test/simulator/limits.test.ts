import { describe, expect, it, vi } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import type { SimulatorOptions } from '../../simulator/index.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const small: SimulatorOptions = {
  seed: 3,
  leads: 50,
  activities: 2000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  now: '2026-01-20T12:00:00Z',
  clock: 'frozen',
};

describe('identity and tokens', () => {
  it('401 on bad credentials, same token with remaining lifetime before expiry', async () => {
    const sim = await startSimulator(small);
    const bad = await fetch(
      `${sim.url}/identity/oauth/token?grant_type=client_credentials&client_id=x&client_secret=y`,
    );
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'unauthorized', error_description: 'Bad client credentials' });
    const c = simClient(sim);
    // biome-ignore lint/suspicious/noExplicitAny: identity JSON in tests
    const first: any = await (
      await c.raw(`/identity/oauth/token?grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret`)
    ).json();
    expect(first).toMatchObject({ token_type: 'bearer', expires_in: 3599 });
    expect(first.access_token).toMatch(/^[0-9a-f-]{36}:\w+$/);
    sim.clock.advance(3000_000);
    // biome-ignore lint/suspicious/noExplicitAny: identity JSON in tests
    const again: any = await (
      await c.raw(`/identity/oauth/token?grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret`, {
        method: 'POST',
      })
    ).json();
    expect(again.access_token).toBe(first.access_token);
    expect(again.expires_in).toBe(599);
    expect(sim.counts().total.counted).toBe(0);
  });

  it('602 on the first call after expiry, 601 afterwards; 601 without a Bearer header or after revocation', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    await c.token();
    expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
    sim.clock.advance(3600_000);
    expect((await c.get('/rest/v1/activities/types.json')).json.errors).toEqual([
      { code: '602', message: 'Access token expired' },
    ]);
    expect((await c.get('/rest/v1/activities/types.json')).json.errors[0].code).toBe('601');
    const tok = await c.token();
    const noBearer = (await (await fetch(`${sim.url}/rest/v1/activities/types.json?access_token=${tok}`)).json()) as {
      errors: { code: string }[];
    };
    expect(noBearer.errors[0]).toEqual({ code: '601', message: 'Access token invalid' });
    sim.revokeToken();
    expect((await c.get('/rest/v1/activities/types.json')).json.errors[0].code).toBe('601');
    const fresh = await c.token();
    expect(fresh).not.toBe(tok);
    expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
  });
});

describe('limits', () => {
  it('the 101st call inside 20 s gets 606 and is not counted; the window slides on the simulator clock', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    for (let i = 0; i < 100; i++) expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
    const r = await c.get('/rest/v1/activities/types.json');
    expect(r.status).toBe(200);
    expect(r.json.errors[0]).toEqual({ code: '606', message: "Max rate limit '100' exceeded with in '20' secs" });
    const counts = sim.counts().byEndpoint['/rest/v1/activities/types.json']!;
    expect(counts).toMatchObject({ counted: 100, requests: 101, rateLimited606: 1 });
    sim.clock.advance(20_001);
    expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
  });

  it('the 11th concurrent call gets 615 while 10 are held in flight', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    await c.token();
    sim.injectFault({ kind: 'delay', delayMs: 400, endpoint: 'describe.json', times: 10 });
    const held = Array.from({ length: 10 }, () => c.get('/rest/v1/leads/describe.json'));
    await vi.waitFor(() => expect(sim.counts().inFlight).toBe(10), { timeout: 300, interval: 10 });
    const eleventh = await c.get('/rest/v1/activities/types.json');
    expect(eleventh.json.errors[0]).toEqual({ code: '615', message: 'Concurrent access limit reached' });
    const results = await Promise.all(held);
    expect(results.every((r) => r.json.success === true)).toBe(true);
    expect(sim.counts().total.concurrency615).toBe(1);
    expect(sim.counts().inFlight).toBe(0);
  });

  for (const day of ['2026-01-20', '2026-03-08', '2026-11-01']) {
    it(`607 past the daily quota, not counted, reset at Chicago midnight (${day})`, async () => {
      // 23:00 Central the evening before; on DST days Chicago's offset changes during the night.
      const eveningBefore = new Date(Date.parse(`${day}T00:00:00Z`) - 86400_000);
      const d = eveningBefore.toISOString().slice(0, 10);
      const offset = day === '2026-11-01' ? '-05:00' : day === '2026-03-08' ? '-06:00' : '-06:00';
      const sim = await startSimulator({
        ...small,
        start: '2025-12-01T00:00:00Z',
        end: '2026-12-01T00:00:00Z',
        now: `${d}T23:00:00${offset}`,
        limits: { dailyQuota: 5, ratePer20s: false },
      });
      const c = simClient(sim);
      for (let i = 0; i < 5; i++) expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
      const over = await c.get('/rest/v1/activities/types.json');
      expect(over.json.errors[0]).toEqual({ code: '607', message: 'Daily quota reached' });
      expect(sim.counts().total).toMatchObject({ counted: 5, quota607: 1 });
      sim.clock.advance(59 * 60_000); // 23:59 Central: still the same day
      expect((await c.get('/rest/v1/activities/types.json')).json.errors[0].code).toBe('607');
      sim.clock.advance(60_000); // 00:00 Central of `day`
      await c.token();
      const usage = await c.get('/rest/v1/stats/usage.json');
      expect(usage.json.success).toBe(true);
      expect(usage.json.result[0]).toMatchObject({ date: day, total: 1 });
      // The Central day lasts 23 h / 25 h on DST change days: the next reset follows the zone.
      for (let i = 0; i < 4; i++) expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
      const hours = day === '2026-03-08' ? 23 : day === '2026-11-01' ? 25 : 24;
      sim.clock.advance(hours * 3600_000 - 60_000);
      await c.token();
      expect((await c.get('/rest/v1/activities/types.json')).json.errors[0].code).toBe('607');
      sim.clock.advance(60_000);
      expect((await c.get('/rest/v1/activities/types.json')).json.success).toBe(true);
    });
  }

  it('414 for a URI over 8 KB, and the POST _method=GET form works for the same call', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    const tok = await c.token();
    const ids = Array.from({ length: 297 }, (_, i) => 100000 + i).join(',');
    const fields = 'id,email,firstName,lastName,company,industryVertical,Foo__c,leadScore__c,notes__c'.repeat(1);
    const qs = `filterType=id&filterValues=${ids}&fields=${fields}&padding=${'x'.repeat(7000)}`;
    const long = await c.get(`/rest/v1/leads.json?${qs}`);
    expect(long.status).toBe(414);
    const post = await fetch(`${sim.url}/rest/v1/leads.json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `_method=GET&filterType=id&filterValues=1,2,3,${ids}&fields=${fields}`,
    });
    const body = (await post.json()) as { success: boolean; result: { id: number }[] };
    expect(body.success).toBe(true);
    expect(body.result.map((r: { id: number }) => r.id)).toEqual(
      [1, 2, 3].filter((id) => [...sim.truth.leads({ fields: ['id'] })].some((l) => l['id'] === id)),
    );
  });
});

describe('faults', () => {
  it('5xx HTML page, truncated JSON, Marketo error codes, by call number and endpoint, not counted', async () => {
    const sim = await startSimulator(small);
    const c = simClient(sim);
    await c.token();
    sim.injectFault({ kind: 'http5xx', status: 502, endpoint: 'types.json', calls: [1] });
    sim.injectFault({ kind: 'truncated', endpoint: 'types.json', calls: [2] });
    sim.injectFault({ kind: 'error', code: '608', endpoint: 'types.json', calls: [3] });
    const r1 = await c.get('/rest/v1/activities/types.json');
    expect(r1.status).toBe(502);
    expect(r1.text).toContain('<html>');
    const r2 = await c.get('/rest/v1/activities/types.json');
    expect(r2.status).toBe(200);
    expect(r2.json).toBeUndefined();
    expect(r2.text.startsWith('{"requestId"')).toBe(true);
    const r3 = await c.get('/rest/v1/activities/types.json');
    expect(r3.json.errors[0]).toEqual({ code: '608', message: 'API Temporarily Unavailable' });
    const r4 = await c.get('/rest/v1/activities/types.json');
    expect(r4.json.success).toBe(true);
    const n = sim.counts().byEndpoint['/rest/v1/activities/types.json']!;
    expect(n.requests).toBe(4);
    expect(n.counted).toBe(2); // the truncated one reached Marketo and is counted, plus the good one
  });

  it('rate-based faults are deterministic for a seed', async () => {
    const run = async () => {
      const s = await startSimulator({ ...small, limits: { ratePer20s: false } });
      const c = simClient(s);
      s.injectFault({ kind: 'error', code: '611', rate: 0.3 });
      const codes: string[] = [];
      for (let i = 0; i < 30; i++)
        codes.push((await c.get('/rest/v1/leads/describe2.json')).json.errors?.[0]?.code ?? 'ok');
      await s.close();
      return codes;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a.filter((x) => x === '611').length).toBeGreaterThan(2);
    expect(a.filter((x) => x === 'ok').length).toBeGreaterThan(10);
  });
});
