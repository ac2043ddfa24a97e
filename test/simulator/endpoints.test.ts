import { describe, expect, it } from 'vitest';
import { simClient } from '../../simulator/helpers.ts';
import { MARKETO_DATA_TYPES, type SimulatorOptions, TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { simulatorPerTest } from '../support/simulator-per-test.ts';

const startSimulator = simulatorPerTest();

const opts: SimulatorOptions = {
  seed: 11,
  leads: 300,
  activities: 20_000,
  start: '2026-01-01T00:00:00Z',
  end: '2026-03-01T00:00:00Z',
  now: '2026-02-15T00:00:00Z',
  clock: 'frozen',
  limits: { ratePer20s: false },
};

async function pageAll(c: ReturnType<typeof simClient>, path: string, since: string) {
  let next = (await c.get(`/rest/v1/activities/pagingtoken.json?sinceDatetime=${encodeURIComponent(since)}`)).json
    .nextPageToken;
  // biome-ignore lint/suspicious/noExplicitAny: parsed Marketo JSON in tests
  const out: any[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: parsed Marketo JSON in tests
  const pages: any[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const p = (await c.get(`${path}${path.includes('?') ? '&' : '?'}nextPageToken=${next}`)).json;
    expect(p.success).toBe(true);
    expect(typeof p.nextPageToken).toBe('string');
    pages.push(p);
    out.push(...(p.result ?? []));
    next = p.nextPageToken;
    if (!p.moreResult) break;
  }
  return { records: out, pages, next };
}

describe('activities', () => {
  it('types.json lists the 20 tracked types with primary attribute and attributes', async () => {
    const sim = await startSimulator(opts);
    const r = (await simClient(sim).get('/rest/v1/activities/types.json')).json;
    expect(r.success).toBe(true);
    const ids = r.result.map((t: { id: number }) => t.id);
    for (const id of TRACKED_TYPE_IDS) expect(ids).toContain(id);
    expect(TRACKED_TYPE_IDS).toHaveLength(20);
    const send = r.result.find((t: { id: number }) => t.id === 6);
    expect(send).toMatchObject({ name: 'Send Email', primaryAttribute: { name: 'Mail ID', dataType: 'integer' } });
    expect(send.attributes.length).toBeGreaterThan(2);
  });

  it('pages in activityDate order to moreResult:false, matching ground truth, with short and empty pages', async () => {
    const sim = await startSimulator({ ...opts, quirks: { shortPageRate: 0.3, emptyPageRate: 0.3 } });
    const c = simClient(sim);
    const types = TRACKED_TYPE_IDS.slice(0, 10);
    const { records, pages } = await pageAll(
      c,
      `/rest/v1/activities.json?activityTypeIds=${types.join(',')}`,
      '2026-01-10T00:00:00Z',
    );
    const truth = [...sim.truth.activities({ typeIds: types, from: '2026-01-10T00:00:00Z' })];
    expect(records.length).toBeGreaterThan(500);
    expect(records).toEqual(truth);
    expect(new Set(records.map((r) => r.marketoGUID)).size).toBe(records.length);
    const dates = records.map((r) => Date.parse(r.activityDate));
    expect(dates.every((d, i) => i === 0 || d >= dates[i - 1]!)).toBe(true);
    const empties = pages.filter((p) => p.moreResult && !('result' in p));
    expect(empties.length).toBeGreaterThan(0);
    expect(pages.some((p) => p.moreResult && p.result && p.result.length < 300)).toBe(true);
    expect(records[0]).toMatchObject({ activityDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(records.every((r) => types.includes(r.activityTypeId))).toBe(true);
  });

  it('activityTypeIds is required and limited to 10; batchSize ≤ 300; bad tokens get 1003, also after the TTL', async () => {
    const sim = await startSimulator({ ...opts, pagingTokenTtlMs: 60_000 });
    const c = simClient(sim);
    const tok = (await c.get('/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-02-01T00:00:00%2B0000')).json
      .nextPageToken;
    expect((await c.get(`/rest/v1/activities.json?nextPageToken=${tok}`)).json.errors[0].code).toBe('701');
    const eleven = Array.from({ length: 11 }, (_, i) => i + 1).join(',');
    expect(
      (await c.get(`/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=${eleven}`)).json.errors[0].code,
    ).toBe('1003');
    expect(
      (await c.get(`/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=6&batchSize=301`)).json.errors[0]
        .code,
    ).toBe('1003');
    expect((await c.get('/rest/v1/activities.json?nextPageToken=GARBAGE&activityTypeIds=6')).json.errors).toEqual([
      { code: '1003', message: 'Invalid nextPageToken' },
    ]);
    expect((await c.get(`/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=6`)).json.success).toBe(true);
    sim.clock.advance(60_001);
    expect((await c.get(`/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=6`)).json.errors[0]).toEqual({
      code: '1003',
      message: 'Invalid nextPageToken',
    });
  });

  it('an empty page has no result key; the final page keeps a nextPageToken that later yields new activities', async () => {
    const sim = await startSimulator({ ...opts, quirks: { shortPageRate: 0, emptyPageRate: 1 } });
    const c = simClient(sim);
    const tok = (await c.get('/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-02-14T00:00:00Z')).json
      .nextPageToken;
    const empty = (await c.get(`/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=6,10`)).json;
    expect(empty).toEqual({
      requestId: expect.any(String),
      success: true,
      nextPageToken: expect.any(String),
      moreResult: true,
    });
    sim.setQuirks({ emptyPageRate: 0 });
    const { next } = await pageAll(c, '/rest/v1/activities.json?activityTypeIds=6,10', '2026-02-14T00:00:00Z');
    sim.clock.advance(2 * 86400_000);
    await c.token();
    const later: { activityDate: string }[] = [];
    let tok2 = next;
    for (let more = true; more; ) {
      const p = (await c.get(`/rest/v1/activities.json?nextPageToken=${tok2}&activityTypeIds=6,10`)).json;
      later.push(...(p.result ?? []));
      tok2 = p.nextPageToken;
      more = p.moreResult;
    }
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => r.activityDate >= '2026-02-14T23:10:00Z')).toBe(true);
    expect(later.length).toBe([...sim.truth.activities({ typeIds: [6, 10], from: '2026-02-15T00:00:00Z' })].length);
  });

  it('a late arrival is visible only once the clock passes visibleAt, and a cursor already past it misses it', async () => {
    const sim = await startSimulator({ ...opts, quirks: { shortPageRate: 0, emptyPageRate: 0 } });
    const c = simClient(sim);
    const guid = sim.injectLateActivity({
      leadId: 5,
      activityTypeId: 6,
      activityDate: '2026-02-14T23:30:00Z',
      visibleAt: '2026-02-15T00:20:00Z',
    });
    const has = () =>
      [...sim.truth.activities({ typeIds: [6], from: '2026-02-14T23:00:00Z' })].some((a) => a.marketoGUID === guid);
    expect(has()).toBe(false);
    const before = await pageAll(c, '/rest/v1/activities.json?activityTypeIds=6', '2026-02-14T23:00:00Z');
    expect(before.records.some((r) => r.marketoGUID === guid)).toBe(false);
    sim.clock.advance(20 * 60_000 + 1000);
    expect(has()).toBe(true);
    const cont = (await c.get(`/rest/v1/activities.json?nextPageToken=${before.next}&activityTypeIds=6`)).json;
    expect((cont.result ?? []).some((r: { marketoGUID: string }) => r.marketoGUID === guid)).toBe(false);
    const reread = await pageAll(c, '/rest/v1/activities.json?activityTypeIds=6', '2026-02-14T23:00:00Z');
    const found = reread.records.find((r) => r.marketoGUID === guid);
    expect(found).toMatchObject({ leadId: 5, activityTypeId: 6, activityDate: '2026-02-14T23:30:00Z' });
  });

  it('about 1% of generated activities arrive late (visibleAt 1–50 min after activityDate)', async () => {
    const sim = await startSimulator(opts);
    let late = 0;
    const n = sim.world.size;
    for (let i = 0; i < n; i++) {
      const a = sim.world.randomActivity(i);
      const lag = a.visibleAt - a.date;
      if (lag > 0) {
        late++;
        expect(lag).toBeGreaterThanOrEqual(60_000);
        expect(lag).toBeLessThanOrEqual(50 * 60_000);
      }
    }
    expect(late / n).toBeGreaterThan(0.005);
    expect(late / n).toBeLessThan(0.015);
  });

  it('leadchanges.json requires fields and returns types 12 and 13 with fields[]; deletedleads.json type 37 with +0000 dates', async () => {
    const sim = await startSimulator(opts);
    const c = simClient(sim);
    const tok = (await c.get('/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-01-01T00:00:00Z')).json
      .nextPageToken;
    expect((await c.get(`/rest/v1/activities/leadchanges.json?nextPageToken=${tok}`)).json.errors[0].code).toBe('701');
    expect(
      (await c.get(`/rest/v1/activities/leadchanges.json?nextPageToken=${tok}&fields=nope`)).json.errors[0],
    ).toEqual({ code: '1006', message: "Field 'nope' not found" });
    const changes = (
      await pageAll(
        c,
        '/rest/v1/activities/leadchanges.json?fields=company,leadScore__c,email,industryVertical,title',
        '2026-01-01T00:00:00Z',
      )
    ).records;
    expect(changes.some((r) => r.activityTypeId === 12)).toBe(true);
    const cdv = changes.filter((r) => r.activityTypeId === 13);
    expect(cdv.length).toBeGreaterThan(0);
    expect(cdv[0].fields[0]).toEqual({
      id: expect.any(Number),
      name: expect.any(String),
      newValue: expect.anything(),
      oldValue: expect.anything(),
    });
    expect(cdv[0].activityDate).toMatch(/\+0000$/);
    const deleted = (await pageAll(c, '/rest/v1/activities/deletedleads.json', '2024-01-01T00:00:00Z')).records;
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted[0]).toMatchObject({
      activityTypeId: 37,
      attributes: [],
      activityDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/),
    });
    const truthDeleted = sim.truth.deletedLeadIds();
    for (const d of deleted) expect(truthDeleted).toContain(d.leadId);
    const gone = (await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${deleted[0].leadId}`)).json;
    expect(gone).toMatchObject({ success: true, result: [] });
  });
  it('a merged-away lead leaves leads.json, is not in deletedleads.json, and a Merge Leads (32) activity on the winner names it', async () => {
    const sim = await startSimulator({ ...opts, deletedLeadRate: 0.1 });
    const c = simClient(sim);
    const merged = sim.truth.mergedLeadIds();
    const deletedIds = sim.truth.deletedLeadIds();
    expect(merged.length).toBeGreaterThan(2);
    expect(deletedIds.length).toBeGreaterThan(2);
    expect(merged.filter((id) => deletedIds.includes(id))).toEqual([]);
    const live = new Set([...sim.truth.leads({ fields: ['id'] })].map((l) => l['id']));
    const gone = (await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${merged.join(',')}`)).json;
    expect(gone).toMatchObject({ success: true, result: [] });
    for (const id of merged) expect(live.has(id)).toBe(false);
    const deleted = (await pageAll(c, '/rest/v1/activities/deletedleads.json', '2024-01-01T00:00:00Z')).records;
    expect(deleted.map((d) => d.leadId).sort((a, b) => a - b)).toEqual(deletedIds);
    const merges = (await pageAll(c, '/rest/v1/activities.json?activityTypeIds=32', '2024-01-01T00:00:00Z')).records;
    expect(merges.length).toBe(merged.length);
    const named: number[] = [];
    for (const m of merges) {
      expect(m).toMatchObject({ activityTypeId: 32, primaryAttributeValueId: m.leadId });
      const attrs = new Map(m.attributes.map((a: { name: string; value: unknown }) => [a.name, a.value]));
      expect(attrs.get('Merged in Sales')).toBe(false);
      expect(attrs.get('Master Updated')).toBe(true);
      const ids = JSON.parse(attrs.get('Merge IDs') as string) as number[];
      expect(ids).not.toContain(m.leadId);
      named.push(...ids);
    }
    expect(named.sort((a, b) => a - b)).toEqual(merged);
    const types = (await c.get('/rest/v1/activities/types.json')).json.result;
    expect(types.some((t: { id: number; name: string }) => t.id === 32 && t.name === 'Merge Leads')).toBe(true);
  });
});

describe('leads', () => {
  it('describe2 lists custom fields of every data type; leads.json omits nulls and rejects unknown fields with 1006', async () => {
    const sim = await startSimulator(opts);
    const c = simClient(sim);
    const d2 = (await c.get('/rest/v1/leads/describe2.json')).json.result[0];
    const types = new Set(d2.fields.map((f: { dataType: string }) => f.dataType));
    for (const t of MARKETO_DATA_TYPES) expect(types).toContain(t);
    const d1 = (await c.get('/rest/v1/leads/describe.json')).json.result;
    expect(d1.some((f: { rest?: unknown }) => !f.rest)).toBe(true);
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const fields = d2.fields.map((f: { name: string }) => f.name);
    const r = (
      await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${ids.join(',')}&fields=${fields.join(',')}`)
    ).json;
    expect(r.success).toBe(true);
    expect(r.result.length).toBeGreaterThan(50);
    expect(r.result.some((l: Record<string, unknown>) => !('notes__c' in l))).toBe(true);
    expect(r.result.every((l: Record<string, unknown>) => Object.values(l).every((v) => v !== null))).toBe(true);
    const truth = new Map([...sim.truth.leads({ fields })].map((l) => [l['id'], l]));
    for (const l of r.result) expect(l).toEqual(truth.get(l.id));
    const def = (await c.get('/rest/v1/leads.json?filterType=id&filterValues=1')).json.result[0];
    expect(Object.keys(def).sort()).toEqual(
      ['createdAt', 'email', 'firstName', 'id', 'lastName', 'updatedAt'].filter((k) => k in def).sort(),
    );
    expect((await c.get('/rest/v1/leads.json?filterType=id&filterValues=1&fields=id,bogus__c')).json.errors[0]).toEqual(
      { code: '1006', message: "Field 'bogus__c' not found" },
    );
    const tooMany = Array.from({ length: 301 }, (_, i) => i + 1).join(',');
    expect((await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${tooMany}`)).json.errors[0].code).toBe('1003');
  });

  it('a lead update moves updatedAt and emits a Change Data Value activity', async () => {
    const sim = await startSimulator({ ...opts, now: '2026-01-10T00:00:00Z' });
    const c = simClient(sim);
    const ev = [...sim.truth.activities({ typeIds: [13], from: '2026-01-01T00:00:00Z' })];
    sim.clock.set('2026-03-01T00:00:00Z');
    const later = [...sim.truth.activities({ typeIds: [13], from: '2026-01-10T00:00:00Z' })];
    expect(later.length).toBeGreaterThan(0);
    const change = later[0]!;
    sim.clock.set(Date.parse(change.activityDate) - 1000);
    await c.token();
    const before = (await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${change.leadId}`)).json.result[0];
    sim.clock.set(Date.parse(change.activityDate));
    const after = (await c.get(`/rest/v1/leads.json?filterType=id&filterValues=${change.leadId}`)).json.result[0];
    expect(after.updatedAt).toBe(change.activityDate);
    expect(before.updatedAt < after.updatedAt).toBe(true);
    expect(ev.every((e) => e.activityDate < '2026-01-10T00:00:01Z')).toBe(true);
  });
});

describe('assets and misc', () => {
  it('programs and smart campaigns page by offset to the "No assets found" end without a result key', async () => {
    const sim = await startSimulator({ ...opts, programs: 45, campaigns: 90 });
    const c = simClient(sim);
    for (const [path, truth] of [
      ['/rest/asset/v1/programs.json', sim.truth.programs()],
      ['/rest/asset/v1/smartCampaigns.json', sim.truth.campaigns()],
    ] as const) {
      // biome-ignore lint/suspicious/noExplicitAny: parsed Marketo JSON in tests
      const got: any[] = [];
      for (let offset = 0; ; offset += 20) {
        const p = (await c.get(`${path}?maxReturn=20&offset=${offset}`)).json;
        expect(p.success).toBe(true);
        if (!p.result) {
          expect(p).toEqual({
            success: true,
            errors: [],
            requestId: expect.any(String),
            warnings: ['No assets found for the given search criteria.'],
          });
          break;
        }
        got.push(...p.result);
      }
      expect(got).toEqual(truth);
      expect(got[0].updatedAt).toMatch(/Z\+0000$/);
    }
    expect((await c.get('/rest/asset/v1/programs.json?maxReturn=201')).json.success).toBe(false);
    const window = (
      await c.get(
        '/rest/asset/v1/programs.json?maxReturn=200&earliestUpdatedAt=2026-01-01T00:00:00Z&latestUpdatedAt=2026-02-01T00:00:00Z',
      )
    ).json;
    for (const p of window.result ?? [])
      expect(p.updatedAt >= '2026-01-01' && p.updatedAt <= '2026-02-01T00:00:00Z+0000').toBe(true);
    const ordered = sim.truth
      .programs()
      .filter((p) => String(p['updatedAt']) >= '2026-01-01' && String(p['updatedAt']) <= '2026-02-01T00:00:00Z+0000');
    expect(window.result ?? []).toEqual(ordered);
  });

  it('legacy campaigns.json carries nextPageToken only while more pages remain', async () => {
    const sim = await startSimulator({ ...opts, campaigns: 12 });
    const c = simClient(sim);
    const p1 = (await c.get('/rest/v1/campaigns.json?batchSize=10')).json;
    expect(p1.result).toHaveLength(10);
    expect(p1.nextPageToken).toBeDefined();
    expect(p1.moreResult).toBeUndefined();
    const p2 = (await c.get(`/rest/v1/campaigns.json?batchSize=10&nextPageToken=${p1.nextPageToken}`)).json;
    expect(p2.nextPageToken).toBeUndefined();
    expect(p1.result[0]).toMatchObject({
      type: expect.stringMatching(/batch|trigger/),
      programId: expect.any(Number),
      active: expect.any(Boolean),
    });
  });

  it('gzip only when asked and ≥ 1 KB', async () => {
    const sim = await startSimulator(opts);
    const c = simClient(sim);
    const tok = await c.token();
    const big = await fetch(`${sim.url}/rest/v1/activities/types.json`, {
      headers: { authorization: `Bearer ${tok}`, 'accept-encoding': 'gzip' },
    });
    expect(big.headers.get('content-encoding')).toBe('gzip');
    expect(((await big.json()) as { success: boolean }).success).toBe(true);
    const small = await fetch(`${sim.url}/rest/v1/stats/usage.json`, {
      headers: { authorization: `Bearer ${tok}`, 'accept-encoding': 'gzip' },
    });
    expect(small.headers.get('content-encoding')).toBeNull();
  });

  it('the same seed gives the same bytes', async () => {
    const grab = async () => {
      const s = await startSimulator(opts);
      const c = simClient(s);
      const tok = (await c.get('/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-02-10T00:00:00Z')).json
        .nextPageToken;
      const a = (
        await c.get(
          `/rest/v1/activities.json?nextPageToken=${tok}&activityTypeIds=${TRACKED_TYPE_IDS.slice(0, 10).join(',')}`,
        )
      ).text;
      const l = (
        await c.get(
          '/rest/v1/leads.json?filterType=id&filterValues=1,2,3,4,5&fields=id,email,Foo__c,leadScore__c,lastEngagedAt__c',
        )
      ).text;
      await s.close();
      return (a + l).replace(/"requestId":"[^"]+"/g, '');
    };
    const a = await grab();
    expect(a).toBe(await grab());
    expect(a.length).toBeGreaterThan(10_000);
  });

  it('admin HTTP API: clock, settings, counts, truth and late activities', async () => {
    const sim = await startSimulator(opts);
    // biome-ignore lint/suspicious/noExplicitAny: admin JSON in tests
    const post = (p: string, body: unknown): Promise<any> =>
      fetch(sim.url + p, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    expect((await post('/_admin/clock', { now: '2026-02-16T00:00:00Z' })).iso).toBe('2026-02-16T00:00:00Z');
    expect((await post('/_admin/clock/advance', { ms: 1000 })).iso).toBe('2026-02-16T00:00:01Z');
    expect((await post('/_admin/settings', { limits: { dailyQuota: 7 } })).limits.dailyQuota).toBe(7);
    const { marketoGUID } = await post('/_admin/late-activity', {
      leadId: 3,
      activityTypeId: 10,
      activityDate: '2026-02-15T12:00:00Z',
      visibleAt: '2026-02-15T12:30:00Z',
    });
    const nd = await (
      await fetch(`${sim.url}/_admin/truth/activities?typeIds=10&from=2026-02-15T11:59:00Z&to=2026-02-15T12:01:00Z`)
    ).text();
    expect(
      nd
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).marketoGUID),
    ).toContain(marketoGUID);
    await simClient(sim).get('/rest/v1/activities/types.json');
    // biome-ignore lint/suspicious/noExplicitAny: admin JSON in tests
    const counts: any = await (await fetch(`${sim.url}/_admin/counts`)).json();
    expect(counts.byEndpoint['/rest/v1/activities/types.json'].counted).toBe(1);
    expect(counts.byEndpoint['/_admin/counts']).toBeUndefined();
  });
});
