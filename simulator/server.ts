import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { TokenStore } from './auth.ts';
import type { BulkExtract } from './bulk.ts';
import type { CallContext } from './endpoints.ts';
import { failure, gatewayPage, type Reply } from './envelope.ts';
import { type FaultSpec, type Faults, faultMessage, malformFirstRecord, rawPageBody } from './faults.ts';
import { hash3 } from './hash.ts';
import type { Limits } from './limits.ts';
import type { SimClock } from './sim-clock.ts';

/** Everything the HTTP front needs. */
export interface ServerDeps {
  clock: SimClock;
  tokens: TokenStore;
  limits: Limits;
  faults: Faults;
  /** Real-time latency of the n-th REST/bulk call (see SimulatorOptions.latency). */
  latencyMs?: (n: number) => number;
  bulk: BulkExtract;
  routes: Map<string, (c: CallContext) => Reply>;
  credentials: { clientId: string; clientSecret: string };
  seed: number;
  /** Handles /_admin/… (not counted, no auth). */
  admin: (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, body: string) => unknown;
}

const MAX_URI = 8192;
const MAX_BODY = 1024 * 1024;
const BULK_RE = /^\/bulk\/v1\/(activities|leads)\/export(.*)\.json$/;

interface BulkCall {
  kind: 'activities' | 'leads';
  action: string;
  exportId: string | undefined;
}

function parseBulk(path: string): BulkCall | undefined {
  const m = BULK_RE.exec(path);
  if (!m) return undefined;
  const kind = m[1] as 'activities' | 'leads';
  const rest = m[2]!;
  if (rest === '') return { kind, action: 'list', exportId: undefined };
  if (rest === '/create') return { kind, action: 'create', exportId: undefined };
  const parts = rest.split('/');
  if (parts.length === 3 && parts[0] === '') return { kind, action: parts[2]!, exportId: parts[1] };
  return { kind, action: 'unknown', exportId: undefined };
}
const JSON_TYPE = 'application/json;charset=UTF-8';

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The key under which calls are counted: the path, bulk export ids replaced by `{exportId}`. */
export function endpointKey(path: string): string {
  const b = parseBulk(path);
  if (b?.exportId) return `/bulk/v1/${b.kind}/export/{exportId}/${b.action}.json`;
  return path;
}

/**
 * Serves `handler` on `host:port` (port 0: a free one): the root URL (`http://127.0.0.1:PORT`) and
 * a close that drops open connections. Every simulator server (one instance, or many) uses it.
 */
export async function listen(
  handler: RequestListener,
  port = 0,
  host = '127.0.0.1',
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer({ maxHeaderSize: 64 * 1024, keepAliveTimeout: 30_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The HTTP front of one simulated instance: 414 for URIs over 8 KB, 413 for bodies over 1 MB, the
 * `POST` + `_method=GET` form, identity (401 on bad credentials, not counted), then for REST and
 * bulk calls: bearer auth (601/602) → in-flight (615) → injected faults → rate (606) → daily quota
 * (607) → handler. Only successful calls count. gzip when asked for and the body is ≥ 1 KB.
 */
export function createSimHandler(deps: ServerDeps): RequestListener {
  let requestNo = 0;
  let callNo = 0;
  const nextRequestId = () => {
    const n = requestNo++;
    return `${(0x1000 + (n % 0xefff)).toString(16)}#${hash3(deps.seed, n, 31).toString(16).padStart(8, '0')}${(n & 0xfff).toString(16)}`;
  };

  const send = (req: IncomingMessage, res: ServerResponse, reply: Reply, truncate = false) => {
    let body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
    if (truncate) body = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
    const headers: Record<string, string | number> = {
      'content-type': reply.contentType ?? JSON_TYPE,
      ...reply.headers,
    };
    const ae = req.headers['accept-encoding'];
    if (!truncate && reply.cutAfter === undefined && ae?.includes('gzip') && body.length >= 1024) {
      body = gzipSync(body, { level: 1 });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    res.writeHead(reply.status ?? 200, headers);
    // The reply's buffer may be reused once the socket has it all (or the client went away).
    if (reply.done) res.once('close', reply.done);
    if (reply.cutAfter !== undefined && reply.cutAfter < body.length) {
      res.write(body.subarray(0, reply.cutAfter), () => res.destroy());
      return;
    }
    res.end(body);
  };

  const html = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const identity = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams, faults: FaultSpec[]) => {
    const f = faults.find((x) => x.kind === 'http5xx');
    if (f) return html(res, f.status ?? 502, gatewayPage(f.status ?? 502));
    if (params.get('grant_type') !== 'client_credentials') {
      return send(req, res, {
        status: 400,
        body: '{"error":"invalid_request","error_description":"Missing grant type"}',
        counted: false,
      });
    }
    if (
      params.get('client_id') !== deps.credentials.clientId ||
      params.get('client_secret') !== deps.credentials.clientSecret
    ) {
      return send(req, res, {
        status: 401,
        body: '{"error":"unauthorized","error_description":"Bad client credentials"}',
        counted: false,
      });
    }
    send(req, res, { body: JSON.stringify(deps.tokens.issue()), counted: false });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (path.startsWith('/_admin/')) {
      const body =
        req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE' ? ((await readBody(req)) ?? '') : '';
      return deps.admin(req, res, path, new URLSearchParams(query), body);
    }
    const endpoint = endpointKey(path);
    deps.limits.request(endpoint);
    if (url.length > MAX_URI) return html(res, 414, gatewayPage(414).replace('Server Error', 'Request-URI Too Large'));
    let body = '';
    if (req.method === 'POST') {
      const b = await readBody(req);
      if (b === undefined) return html(res, 413, gatewayPage(413).replace('Server Error', 'Request Entity Too Large'));
      body = b;
    }
    let params = new URLSearchParams(query);
    const ctype = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && ctype.includes('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body);
      if (form.get('_method') === 'GET' || path.startsWith('/identity/')) {
        form.delete('_method');
        for (const [k, v] of form) params.append(k, v);
        params = new URLSearchParams(params);
      }
    }
    if (path === '/identity/oauth/token') return identity(req, res, params, deps.faults.match(path));

    const requestId = nextRequestId();
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const check = deps.tokens.check(token);
    if (check !== 'ok') {
      return send(
        req,
        res,
        failure(requestId, check, check === '602' ? 'Access token expired' : 'Access token invalid'),
      );
    }
    if (!deps.limits.enter(endpoint))
      return send(req, res, failure(requestId, '615', 'Concurrent access limit reached'));
    let left = false;
    const leave = () => {
      if (!left) {
        left = true;
        deps.limits.leave();
      }
    };
    res.on('close', leave);
    res.on('finish', leave);
    try {
      const faults = deps.faults.match(path);
      for (const f of faults) if (f.kind === 'delay') await new Promise((r) => setTimeout(r, f.delayMs ?? 35_000));
      if (res.destroyed) return;
      if (faults.some((f) => f.kind === 'reset')) return void res.destroy();
      const http5xx = faults.find((f) => f.kind === 'http5xx');
      if (http5xx) return html(res, http5xx.status ?? 502, gatewayPage(http5xx.status ?? 502));
      const err = faults.find((f) => f.kind === 'error');
      if (err)
        return send(req, res, failure(requestId, err.code ?? '611', err.message ?? faultMessage(err.code ?? '611')));
      if (faults.some((f) => f.kind === 'revokeToken')) {
        deps.tokens.revoke();
        return send(req, res, failure(requestId, '601', 'Access token invalid'));
      }
      const truncate = faults.some((f) => f.kind === 'truncated');
      const now = deps.clock.now();

      const refused = deps.limits.admit(endpoint, now);
      if (refused === '606')
        return send(req, res, failure(requestId, '606', "Max rate limit '100' exceeded with in '20' secs"));
      if (refused === '607') return send(req, res, failure(requestId, '607', 'Daily quota reached'));
      const raw = faults.find((f) => f.kind === 'rawPage');
      if (raw) {
        deps.limits.count(endpoint, now);
        return send(req, res, { body: rawPageBody(raw), counted: true });
      }
      let reply: Reply;
      const bulk = parseBulk(path);
      if (bulk) {
        reply = deps.bulk.handle(
          requestId,
          bulk.kind,
          bulk.action,
          bulk.exportId,
          body,
          params,
          req.headers.range,
          now,
        );
      } else {
        const route = deps.routes.get(path);
        reply = route
          ? route({ requestId, params, now })
          : { ...failure(requestId, '610', 'Requested resource not found'), status: 404 };
      }
      if (reply.counted) deps.limits.count(endpoint, now);
      // Marketo counts a call on arrival; its latency is the wait for the answer, slot still held.
      const latency = deps.latencyMs?.(callNo++) ?? 0;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (res.destroyed) {
        reply.done?.();
        return;
      }
      const malformed = faults.find((f) => f.kind === 'malformed');
      if (malformed && reply.status === undefined) {
        const text = Buffer.isBuffer(reply.body) ? reply.body.toString('utf8') : reply.body;
        reply.done?.();
        reply = { ...reply, body: malformFirstRecord(text, malformed.field, malformed.value), done: undefined };
      }
      send(req, res, reply, truncate);
    } finally {
      if (res.writableFinished) leave();
    }
  };

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`simulator error: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  };
}
