import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, hasCode, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { MarketoClient, type MarketoClientOptions } from '../../src/marketo/client.ts';
import { FakeClock } from '../support/fake-clock.ts';

const ORIGIN = 'http://127.0.0.1:9999';
const SECRET = 'sup3r-s3cret-value';
const ok = (result: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ requestId: 'req-ok', success: true, result, ...extra });
const fail = (code: string, message: string) =>
  JSON.stringify({ requestId: `req-${code}`, success: false, errors: [{ code, message }] });

/** Records what the client asked of the quota. */
class FakeQuota {
  reserved: string[] = [];
  released: { counted: boolean; marketoCode?: string }[] = [];
  exhausted = 0;
  /** What exhaust() answers: the quota, not the client, knows when its day resets. */
  pause = { resetAt: Date.parse('2026-01-16T06:00:00Z'), retryAfterMs: 18 * 3600_000 };
  async reserve(endpoint: string) {
    this.reserved.push(endpoint);
    return { release: async (o: { counted: boolean; marketoCode?: string }) => void this.released.push(o) };
  }
  async exhaust() {
    this.exhausted += 1;
    return this.pause;
  }
}

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

let agents: MockAgent[] = [];
afterEach(async () => {
  for (const a of agents) await a.close().catch(() => {});
  agents = [];
});

function setup(
  options: Partial<MarketoClientOptions> = {},
  identity: { lifetimes?: number[]; tokens?: string[] } = {},
) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const pool = agent.get(ORIGIN);
  const clock = new FakeClock();
  const quota = new FakeQuota();
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  const seen: Seen[] = [];
  const record = (opts: { method: string; path: string; headers?: unknown; body?: unknown }) => {
    const raw = opts.headers;
    const headers: Record<string, string> = {};
    if (raw && typeof (raw as Headers).forEach === 'function' && !Array.isArray(raw)) {
      (raw as Headers).forEach((v, k) => {
        headers[k.toLowerCase()] = v;
      });
    } else if (Array.isArray(raw)) {
      for (let i = 0; i < raw.length; i += 2) headers[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
    } else if (raw) {
      for (const [k, v] of Object.entries(raw as Record<string, string>)) headers[k.toLowerCase()] = String(v);
    }
    seen.push({
      method: opts.method,
      path: opts.path,
      headers,
      body: opts.body === undefined ? undefined : String(opts.body),
    });
  };
  let tokenNo = 0;
  const lifetimes = identity.lifetimes ?? [3599];
  pool
    .intercept({ path: (p) => p.startsWith('/identity/oauth/token'), method: 'GET' })
    .reply((opts) => {
      record(opts);
      tokenNo += 1;
      const expiresIn = lifetimes[Math.min(tokenNo - 1, lifetimes.length - 1)];
      const token = identity.tokens?.[tokenNo - 1] ?? `tok-${tokenNo}:ab`;
      return {
        statusCode: 200,
        data: JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: expiresIn }),
      };
    })
    .persist();
  const client = new MarketoClient({
    baseUrl: ORIGIN,
    clientId: 'my-client-id',
    clientSecret: SECRET,
    dispatcher: agent,
    quota,
    clock,
    logger,
    random: () => 0.5,
    retry: { rateLimitedDelayMs: 1_000, baseDelayMs: 100, maxDelayMs: 5_000 },
    ...options,
  });
  /** Queues one reply to the next REST call matching `path`. */
  const reply = (path: string, status: number, body: string | Buffer, headers: Record<string, string> = {}) =>
    pool.intercept({ path: (p) => p.split('?')[0] === path, method: () => true }).reply((opts) => {
      record(opts);
      return { statusCode: status, data: body, responseOptions: { headers } };
    });
  const rest = () => seen.filter((s) => !s.path.startsWith('/identity'));
  const identityCalls = () => seen.filter((s) => s.path.startsWith('/identity')).length;
  return { agent, pool, clock, quota, client, seen, rest, identityCalls, reply, logLines };
}

/** The calls went out with the first token twice, then a new one, after one short wait past the first's last second. */
function expectHandedBackTokenWaitedOut(t: ReturnType<typeof setup>): void {
  expect(t.rest().map((s) => s.headers.authorization)).toEqual([
    'Bearer tok-1:ab',
    'Bearer tok-1:ab',
    'Bearer tok-2:ab',
  ]);
  expect(t.clock.sleeps).toHaveLength(1);
  expect(t.clock.sleeps[0]).toBeGreaterThanOrEqual(1_000);
  expect(t.clock.sleeps[0]).toBeLessThanOrEqual(15_000);
}

describe('MarketoClient', () => {
  it('sends the token as a Bearer header only, reserves quota per call, decodes the envelope', async () => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, ok([{ marketoGUID: 'g1' }], { moreResult: false, nextPageToken: 'NPT2' }));
    const res = await t.client.get('/rest/v1/activities.json', { nextPageToken: 'NPT1', activityTypeIds: ['1', '2'] });
    expect(res).toMatchObject({
      result: [{ marketoGUID: 'g1' }],
      moreResult: false,
      nextPageToken: 'NPT2',
      requestId: 'req-ok',
    });
    const [call] = t.rest();
    expect(call!.headers.authorization).toBe('Bearer tok-1:ab');
    expect(call!.headers['accept-encoding']).toBe('gzip');
    expect(call!.path).toBe('/rest/v1/activities.json?nextPageToken=NPT1&activityTypeIds=1%2C2');
    for (const s of t.seen) {
      if (!s.path.startsWith('/identity')) expect(s.path).not.toMatch(/access_token/);
    }
    expect(t.quota.reserved).toEqual(['v1/activities']);
    expect(t.quota.released).toEqual([{ counted: true, marketoCode: undefined }]);
    expect(t.identityCalls()).toBe(1);
  });

  it('uses the cached token and refreshes it 60 s before expiry, on the clock', async () => {
    const t = setup();
    for (let i = 0; i < 3; i++) t.reply('/rest/v1/leads.json', 200, ok([]));
    await t.client.get('/rest/v1/leads.json');
    t.clock.advance((3599 - 61) * 1000);
    await t.client.get('/rest/v1/leads.json');
    expect(t.identityCalls()).toBe(1);
    t.clock.advance(1_000);
    await t.client.get('/rest/v1/leads.json');
    expect(t.identityCalls()).toBe(2);
    expect(t.rest().map((s) => s.headers.authorization)).toEqual([
      'Bearer tok-1:ab',
      'Bearer tok-1:ab',
      'Bearer tok-2:ab',
    ]);
  });

  it.each([
    ['602', 'Access token expired'],
    ['601', 'Access token invalid'],
  ])('on %s refreshes the token and retries once', async (code, message) => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 200, fail(code, message));
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 1 }]));
    const res = await t.client.get('/rest/v1/leads.json');
    expect(res.result).toEqual([{ id: 1 }]);
    expect(t.rest().map((s) => s.headers.authorization)).toEqual(['Bearer tok-1:ab', 'Bearer tok-2:ab']);
    expect(t.quota.released).toEqual([
      { counted: false, marketoCode: code },
      { counted: true, marketoCode: undefined },
    ]);
    expect(t.clock.sleeps).toEqual([]);
  });

  it('a second rejection right after a refresh (the same token handed back) waits briefly and gets a new one', async () => {
    // The identity service hands back the rejected token (1 s left by its clock) on the first refresh.
    const t = setup({}, { lifetimes: [1, 1, 3599], tokens: ['tok-1:ab', 'tok-1:ab', 'tok-2:ab'] });
    t.reply('/rest/v1/leads.json', 200, fail('602', 'Access token expired'));
    t.reply('/rest/v1/leads.json', 200, fail('601', 'Access token invalid'));
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 3 }]));
    const res = await t.client.get('/rest/v1/leads.json');
    expect(res.result).toEqual([{ id: 3 }]);
    expectHandedBackTokenWaitedOut(t);
  });

  it('a file download rejected twice (the refresh handed the same token back) waits briefly and gets a new one', async () => {
    const t = setup({}, { lifetimes: [1, 1, 3599], tokens: ['tok-1:ab', 'tok-1:ab', 'tok-2:ab'] });
    const file = '/bulk/v1/leads/export/job-1/file.json';
    t.reply(file, 200, fail('602', 'Access token expired'), { 'content-type': 'application/json' });
    t.reply(file, 200, fail('601', 'Access token invalid'), { 'content-type': 'application/json' });
    t.reply(file, 200, 'id,email\n1,a@example.com\n', { 'content-type': 'text/csv' });
    const res = await t.client.stream(file);
    expect(res.status).toBe(200);
    expect(await text(res.body)).toContain('a@example.com');
    expectHandedBackTokenWaitedOut(t);
  });

  it('token rejections past the bound are surfaced as TOKEN_EXPIRED, not looped on', async () => {
    const t = setup();
    for (let i = 0; i < 4; i++) t.reply('/rest/v1/leads.json', 200, fail('601', 'Access token invalid'));
    const err = await t.client.get('/rest/v1/leads.json').catch((e: unknown) => e);
    expect(hasCode(err, ErrorCodes.TOKEN_EXPIRED)).toBe(true);
    expect((err as MarketoStreamError).retriable).toBe(false);
    expect(t.rest()).toHaveLength(4);
    expect(t.identityCalls()).toBe(4);
  });

  it.each([
    ['500', 'Internal Server Error'],
    ['502', 'Bad Gateway'],
    ['503', 'Service Unavailable'],
  ])('response-level %s in an HTTP 200 envelope is retried with backoff, not counted', async (code, message) => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, fail(code, message));
    t.reply('/rest/v1/activities.json', 200, fail(code, message));
    t.reply('/rest/v1/activities.json', 200, ok([{ marketoGUID: 'g' }]));
    expect((await t.client.get('/rest/v1/activities.json')).result).toHaveLength(1);
    expect(t.clock.sleeps).toEqual([50, 100]); // full jitter 0.5 × 100 · 2^(n-1)
    expect(t.quota.released.map((r) => r.counted)).toEqual([false, false, true]);
  });

  it('614: retried after a long wait and reported as a warning', async () => {
    const t = setup({ retry: { unreachableDelayMs: 60_000, baseDelayMs: 100, maxDelayMs: 5_000 } });
    t.reply('/rest/v1/activities.json', 200, fail('614', 'Invalid Subscription'));
    t.reply('/rest/v1/activities.json', 200, ok([{ marketoGUID: 'g' }]));
    expect((await t.client.get('/rest/v1/activities.json')).result).toHaveLength(1);
    expect(t.clock.sleeps).toEqual([60_000]);
    const warned = t.logLines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    expect(warned.map((l) => l.marketoCode)).toEqual(['614']);
  });

  it('702 on a read is an empty last page (the paging token handed back), not counted', async () => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, fail('702', 'No data found'));
    const res = await t.client.get('/rest/v1/activities.json', { nextPageToken: 'TOKEN1' });
    expect(res.result).toEqual([]);
    expect(res.moreResult).toBe(false);
    expect(res.nextPageToken).toBe('TOKEN1');
    expect(t.quota.released).toEqual([{ counted: false, marketoCode: undefined }]);
    expect(t.clock.sleeps).toEqual([]);
  });

  it('702 on a write is surfaced as NO_DATA, not retried', async () => {
    const t = setup();
    t.reply('/rest/v1/leads/push.json', 200, fail('702', 'No data found'));
    const err = await t.client.request('POST', '/rest/v1/leads/push.json', { body: {} }).catch((e: unknown) => e);
    expect(hasCode(err, ErrorCodes.NO_DATA)).toBe(true);
    expect(t.rest()).toHaveLength(1);
  });

  it('606: waits at least rateLimitedDelayMs, re-reserves and retries; the failed call is not counted', async () => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, fail('606', "Max rate limit '100' exceeded with in '20' secs"));
    t.reply('/rest/v1/activities.json', 200, fail('615', 'Concurrent access limit reached'));
    t.reply('/rest/v1/activities.json', 200, ok([{ marketoGUID: 'g' }]));
    const res = await t.client.get('/rest/v1/activities.json');
    expect(res.result).toHaveLength(1);
    expect(t.clock.sleeps).toHaveLength(2);
    for (const ms of t.clock.sleeps) expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(t.quota.reserved).toHaveLength(3);
    expect(t.quota.released).toEqual([
      { counted: false, marketoCode: '606' },
      { counted: false, marketoCode: '615' },
      { counted: true, marketoCode: undefined },
    ]);
  });

  it('607: marks the quota spent and throws at once, with the wait the quota names', async () => {
    const t = setup();
    t.quota.pause = { resetAt: Date.parse('2026-01-16T06:00:00Z'), retryAfterMs: 18 * 3600_000 - 1 };
    t.reply('/rest/v1/activities.json', 200, fail('607', 'Daily quota reached'));
    const err = await t.client.get('/rest/v1/activities.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketoStreamError);
    expect(err).toMatchObject({
      code: ErrorCodes.QUOTA_EXHAUSTED,
      retriable: true,
      marketoCode: '607',
      requestId: 'req-607',
      retryAfterMs: 18 * 3600_000 - 1,
    });
    expect((err as Error).message).toContain('paused until 2026-01-16T06:00:00.000Z');
    expect(t.quota.exhausted).toBe(1);
    expect(t.rest()).toHaveLength(1);
    expect(t.clock.sleeps).toEqual([]);
    expect(t.quota.released).toEqual([{ counted: false, marketoCode: '607' }]);
  });

  it('a quota spent locally is surfaced without a Marketo call', async () => {
    const t = setup();
    t.quota.reserve = async () => {
      throw new MarketoStreamError(ErrorCodes.QUOTA_EXHAUSTED, 'spent', { retriable: true, retryAfterMs: 3_600_000 });
    };
    await expect(t.client.get('/rest/v1/leads.json')).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXHAUSTED });
    expect(t.rest()).toHaveLength(0);
  });

  it('an HTML 502 gateway page is retried with backoff, and not counted', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', {
      'content-type': 'text/html',
    });
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 7 }]));
    expect((await t.client.get('/rest/v1/leads.json')).result).toEqual([{ id: 7 }]);
    expect(t.clock.sleeps).toEqual([50]); // full jitter: 0.5 × min(5000, 100 · 2^0)
    expect(t.quota.released.map((r) => r.counted)).toEqual([false, true]);
  });

  it('a truncated JSON body is retried (and conservatively counted)', async () => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, '{"requestId":"x","success":true,"result":[{"marketoGUID":"g1"},{"mark');
    t.reply('/rest/v1/activities.json', 200, ok([{ marketoGUID: 'g1' }]));
    expect((await t.client.get('/rest/v1/activities.json')).result).toHaveLength(1);
    expect(t.quota.released.map((r) => r.counted)).toEqual([true, true]);
    expect(t.rest()).toHaveLength(2);
  });

  it('a timeout is retried as a network failure, not counted', async () => {
    const t = setup({ timeoutMs: 50 });
    t.pool
      .intercept({ path: (p) => p.startsWith('/rest/v1/leads.json'), method: 'GET' })
      .reply(200, ok([{ id: 'late' }]))
      .delay(500);
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 1 }]));
    expect((await t.client.get('/rest/v1/leads.json')).result).toEqual([{ id: 1 }]);
    expect(t.quota.released.map((r) => r.counted)).toEqual([false, true]);
    expect(t.clock.sleeps).toHaveLength(1);
  });

  it('a connection error is retried, not counted', async () => {
    const t = setup();
    t.pool
      .intercept({ path: (p) => p.startsWith('/rest/v1/leads.json'), method: 'GET' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    t.reply('/rest/v1/leads.json', 200, ok([]));
    await t.client.get('/rest/v1/leads.json');
    expect(t.quota.released.map((r) => r.counted)).toEqual([false, true]);
  });

  it('gives up after maxAttempts and surfaces the last error', async () => {
    const t = setup({ retry: { maxAttempts: 3, baseDelayMs: 100 } });
    for (let i = 0; i < 3; i++) t.reply('/rest/v1/leads.json', 503, 'Service Unavailable');
    await expect(t.client.get('/rest/v1/leads.json')).rejects.toMatchObject({
      code: ErrorCodes.UNAVAILABLE,
      status: 503,
    });
    expect(t.rest()).toHaveLength(3);
    expect(t.clock.sleeps).toEqual([50, 100]);
  });

  it('a fatal 1006 is surfaced at once with Marketo code and request id', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 200, fail('1006', "Field 'bogus__c' not found"));
    const err = await t.client.get('/rest/v1/leads.json', { fields: ['email', 'bogus__c'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCodes.REQUEST_REJECTED,
      retriable: false,
      marketoCode: '1006',
      requestId: 'req-1006',
    });
    expect((err as Error).message).toContain("Field 'bogus__c' not found");
    expect((err as Error).message).toContain('GET /rest/v1/leads.json');
    expect(t.rest()).toHaveLength(1);
    expect(t.quota.released).toEqual([{ counted: true, marketoCode: '1006' }]);
  });

  it('an invalid nextPageToken is PAGING_TOKEN_INVALID, not retried', async () => {
    const t = setup();
    t.reply('/rest/v1/activities.json', 200, fail('1003', 'Invalid nextPageToken'));
    await expect(t.client.get('/rest/v1/activities.json', { nextPageToken: 'stale' })).rejects.toMatchObject({
      code: ErrorCodes.PAGING_TOKEN_INVALID,
    });
    expect(t.rest()).toHaveLength(1);
  });

  it('sends a GET whose URL exceeds 8 KB as POST with a _method=GET form body', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 1 }]));
    const ids = Array.from({ length: 300 }, (_, i) => String(10_000_000 + i));
    const fields = Array.from({ length: 250 }, (_, i) => `someCustomField${i}__c`);
    await t.client.get('/rest/v1/leads.json', { filterType: 'id', filterValues: ids, fields });
    const [call] = t.rest();
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe('/rest/v1/leads.json');
    expect(call!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(call!.body);
    expect(form.get('_method')).toBe('GET');
    expect(form.get('filterValues')).toBe(ids.join(','));
    expect(form.get('fields')).toBe(fields.join(','));
    expect(call!.body!.startsWith('_method=GET&')).toBe(true);
    expect(t.quota.reserved).toEqual(['v1/leads']);
  });

  it('on a 414 resends the same call in the _method=GET form', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 414, '<html>414 Request-URI Too Large</html>');
    t.reply('/rest/v1/leads.json', 200, ok([{ id: 2 }]));
    expect((await t.client.get('/rest/v1/leads.json', { filterType: 'id', filterValues: ['2'] })).result).toEqual([
      { id: 2 },
    ]);
    expect(t.rest().map((s) => s.method)).toEqual(['GET', 'POST']);
    expect(t.rest()[1]!.body).toBe('_method=GET&filterType=id&filterValues=2');
    expect(t.quota.released.map((r) => r.counted)).toEqual([false, true]);
  });

  it('decompresses a gzip body', async () => {
    const t = setup();
    const body = ok(Array.from({ length: 50 }, (_, i) => ({ id: i, email: `lead${i}@example.com` })));
    t.reply('/rest/v1/leads.json', 200, gzipSync(body), {
      'content-encoding': 'gzip',
      'content-type': 'application/json',
    });
    expect((await t.client.get('/rest/v1/leads.json')).result).toHaveLength(50);
  });

  it('POST sends a JSON body', async () => {
    const t = setup();
    t.reply('/bulk/v1/activities/export/create.json', 200, ok([{ exportId: 'e1', status: 'Created' }]));
    await t.client.request('POST', '/bulk/v1/activities/export/create.json', { body: { format: 'CSV' } });
    const [call] = t.rest();
    expect(call).toMatchObject({ method: 'POST', body: '{"format":"CSV"}' });
    expect(call!.headers['content-type']).toBe('application/json');
    expect(t.quota.reserved).toEqual(['bulk/v1/activities/export/create']);
  });

  it('bad credentials: AUTH_FAILED, fatal, and the secret is in no message and no log line', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    agent
      .get(ORIGIN)
      .intercept({ path: (p) => p.startsWith('/identity/oauth/token'), method: 'GET' })
      .reply(401, '{"error":"invalid_client","error_description":"Bad client credentials"}');
    const lines: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    });
    const quota = new FakeQuota();
    const client = new MarketoClient({
      baseUrl: ORIGIN,
      clientId: 'id',
      clientSecret: SECRET,
      dispatcher: agent,
      quota,
      clock: new FakeClock(),
      logger,
    });
    const err = await client.get('/rest/v1/leads.json').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.AUTH_FAILED, retriable: false, status: 401 });
    expect((err as Error).message).not.toContain(SECRET);
    expect(lines.join('')).not.toContain(SECRET);
    expect(quota.reserved).toEqual([]);
  });

  it('identity network failures never leak the secret, in the message, the cause or the logs', async () => {
    const t = setup({ retry: { maxAttempts: 2, baseDelayMs: 10 } });
    await t.agent.close();
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    agent
      .get(ORIGIN)
      .intercept({ path: (p) => p.startsWith('/identity/oauth/token'), method: 'GET' })
      .replyWithError(new Error(`connect failed for /identity/oauth/token?client_secret=${SECRET}`))
      .times(2);
    const lines: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    });
    const client = new MarketoClient({
      baseUrl: ORIGIN,
      clientId: 'id',
      clientSecret: SECRET,
      dispatcher: agent,
      quota: t.quota,
      clock: t.clock,
      logger,
      retry: { maxAttempts: 2, baseDelayMs: 10 },
    });
    const err = await client.get('/rest/v1/leads.json').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.NETWORK });
    expect((err as Error).message).not.toContain(SECRET);
    expect((err as Error).cause).toBeUndefined();
    expect(lines.length).toBeGreaterThan(0); // the retry was logged
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('the access token never appears in log lines, even at trace level', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 200, fail('602', 'Access token expired'));
    t.reply('/rest/v1/leads.json', 502, 'Bad Gateway');
    t.reply('/rest/v1/leads.json', 200, ok([]));
    await t.client.get('/rest/v1/leads.json');
    const all = t.logLines.join('');
    expect(all).toContain('access token rejected; fetching a new one');
    expect(all).not.toContain('tok-1');
    expect(all).not.toContain('tok-2');
    expect(all).not.toContain(SECRET);
  });

  it('an aborted signal stops retrying with the abort reason', async () => {
    const t = setup();
    t.reply('/rest/v1/leads.json', 503, 'down');
    const controller = new AbortController();
    t.quota.reserve = (async (endpoint: string) => {
      if (t.quota.reserved.length === 1) controller.abort(new Error('shutdown'));
      t.quota.reserved.push(endpoint);
      return { release: async (o: { counted: boolean; marketoCode?: string }) => void t.quota.released.push(o) };
    }) as FakeQuota['reserve'];
    await expect(t.client.get('/rest/v1/leads.json', undefined, controller.signal)).rejects.toThrow('shutdown');
  });
});

describe('MarketoClient metrics', () => {
  /** Metrics that remember every call. */
  const recording = () => {
    const calls: string[] = [];
    return {
      calls,
      metrics: {
        marketoRequest: (instance: string, endpoint: string, outcome: string) =>
          void calls.push(`${instance} ${endpoint} ${outcome}`),
        pageCommitted: () => {},
        checkpointsRead: () => {},
      },
    };
  };

  it('counts every attempt by endpoint and outcome, identity calls included', async () => {
    const m = recording();
    const t = setup({ metrics: m.metrics, instance: '123-ABC-456' });
    t.reply('/rest/v1/leads/123.json', 502, '<html>502</html>', { 'content-type': 'text/html' });
    t.reply('/rest/v1/leads/123.json', 200, fail('606', 'Max rate limit exceeded'));
    t.reply('/rest/v1/leads/123.json', 200, ok([{ id: 123 }]));
    await t.client.get('/rest/v1/leads/123.json');
    expect(m.calls).toEqual([
      '123-ABC-456 identity/oauth/token success',
      '123-ABC-456 v1/leads/:id unavailable',
      '123-ABC-456 v1/leads/:id rate_limited',
      '123-ABC-456 v1/leads/:id success',
    ]);
  });

  it("counts a call cut short by the caller's signal as aborted, and labels by host without an instance", async () => {
    const m = recording();
    const t = setup({ metrics: m.metrics });
    const controller = new AbortController();
    t.pool
      .intercept({ path: (p) => p.startsWith('/rest/v1/leads.json'), method: 'GET' })
      .reply(() => {
        controller.abort(new Error('shutdown'));
        return { statusCode: 200, data: ok([]) };
      })
      .delay(50);
    await expect(t.client.get('/rest/v1/leads.json', undefined, controller.signal)).rejects.toThrow('shutdown');
    expect(m.calls).toEqual(['127.0.0.1:9999 identity/oauth/token success', '127.0.0.1:9999 v1/leads aborted']);
  });
});
