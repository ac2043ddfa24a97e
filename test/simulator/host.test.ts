import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import { type SimulatorHost, startSimulatorHost } from '../../simulator/host.ts';
import { type SimulatorOptions, TRACKED_TYPE_IDS } from '../../simulator/index.ts';

let host: SimulatorHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const world = (i: number): SimulatorOptions => ({
  seed: 40 + i,
  leads: 30,
  activities: 400 * (i + 1),
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  clock: 'frozen',
  instance: `${100 + i}-ABC-${200 + i}`,
  clientId: `client-${i}`,
  clientSecret: `secret-${i}`,
  limits: { dailyQuota: 5 + i },
});

/** A raw GET through node:http, which (unlike fetch) lets the Host header be set. */
function getWithHost(url: string, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host: hostHeader } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('many simulated instances on one port', () => {
  it('gives each instance its own base URL, credentials, world and quota', async () => {
    host = await startSimulatorHost({ instances: [world(0), world(1)] });
    const [a, b] = host.instances as [NonNullable<SimulatorHost['instances'][0]>, SimulatorHost['instances'][0]];
    expect(a.url).toBe(`${host.url}/100-ABC-200`);
    expect(new URL(a.url).port).toBe(new URL(b!.url).port);

    const ca = simClient(a);
    const cb = simClient(b!);
    const since = encodeURIComponent('2026-01-01T00:00:00Z');
    const types = TRACKED_TYPE_IDS.slice(0, 10).join(',');
    const firstPage = async (c: typeof ca) => {
      const token = (await c.get(`/rest/v1/activities/pagingtoken.json?sinceDatetime=${since}`)).json.nextPageToken;
      return (await c.get(`/rest/v1/activities.json?nextPageToken=${token}&activityTypeIds=${types}`)).json;
    };
    const pageA = await firstPage(ca);
    const pageB = await firstPage(cb);
    expect(pageA.success).toBe(true);
    expect(pageB.success).toBe(true);
    // Each instance answers from its own world.
    const truthOf = (sim: typeof a) =>
      new Set([...sim.truth.activities({ typeIds: TRACKED_TYPE_IDS.slice(0, 10) })].map((r) => r.marketoGUID));
    const guids = (page: { result: { marketoGUID: string }[] }) => page.result.map((r) => r.marketoGUID);
    const [ta, tb] = [truthOf(a), truthOf(b!)];
    expect(guids(pageA).length).toBeGreaterThan(0);
    expect(guids(pageA).filter((g) => !ta.has(g))).toEqual([]);
    expect(guids(pageB).filter((g) => !tb.has(g))).toEqual([]);
    expect(guids(pageB).filter((g) => ta.has(g))).toEqual([]);

    // One instance's credentials and token mean nothing to another.
    const wrongSecret = await fetch(
      `${b!.url}/identity/oauth/token?grant_type=client_credentials&client_id=${a.clientId}&client_secret=${a.clientSecret}`,
    );
    expect(wrongSecret.status).toBe(401);
    const tokenA = await ca.token();
    const crossed = await fetch(`${b!.url}/rest/v1/activities/types.json`, {
      headers: { authorization: `Bearer ${tokenA}` },
    });
    expect(((await crossed.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('601');

    // Quotas are counted per instance: a's 5-call day is spent, b's 6 still has room.
    for (let i = 0; i < 5; i++) await ca.get('/rest/v1/activities/types.json');
    expect((await ca.get('/rest/v1/activities/types.json')).json.errors[0].code).toBe('607');
    expect((await cb.get('/rest/v1/activities/types.json')).json.success).toBe(true);
    expect(a.counts()).not.toEqual(b!.counts());
  });

  it('routes by host name as well, and answers 404 for an unknown instance', async () => {
    host = await startSimulatorHost({ instances: [world(0), world(1)] });
    const b = host.instances[1]!;
    const byHost = await getWithHost(
      `${host.url}/identity/oauth/token?grant_type=client_credentials&client_id=${b.clientId}&client_secret=${b.clientSecret}`,
      `${b.instance.toLowerCase()}.mktorest.localhost`,
    );
    expect(byHost.status).toBe(200);
    expect(JSON.parse(byHost.body).access_token).toMatch(/:/);
    expect((await fetch(`${host.url}/999-NOP-999/rest/v1/activities/types.json`)).status).toBe(404);
    expect((await fetch(`${host.url}/rest/v1/activities/types.json`)).status).toBe(404);
    await expect(startSimulatorHost({ instances: [world(0), world(0)] })).rejects.toThrow(/given twice/);
  });
});
