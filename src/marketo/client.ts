import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import type { Clock } from '../clock.ts';
import { ErrorCodes, hasCode, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Metrics, noopMetrics, outcomeOf } from '../metrics/index.ts';
import { retry } from '../retry/index.ts';
import {
  type CallContext,
  malformedError,
  networkError,
  SUBSCRIPTION_UNREACHABLE_CODE,
  wasCounted,
} from './classify.ts';
import { decodeEnvelope, decodeIdentity } from './envelope.ts';
import { clientRetryDecision, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
import { type FetchedToken, TokenCache } from './token-cache.ts';
import type { MarketoResponse, QuotaGate } from './types.ts';
import { buildWireRequest, encodeQuery, type Query, type WireRequest } from './url.ts';

/** Options of {@link MarketoClient}. */
export interface MarketoClientOptions {
  /** Without a trailing slash, e.g. https://123-ABC-456.mktorest.com (identity and REST hang off it). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** undici dispatcher (Agent, Pool, MockAgent); default a keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** Asked before every REST call (identity calls are free and skip it). */
  quota: QuotaGate;
  clock: Clock;
  logger: Logger;
  /** Per attempt, until the whole body is in (default 30 000 ms). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Refresh the access token this long before it expires (default 60 000 ms). */
  tokenRefreshEarlyMs?: number;
  /** Source of jitter in [0, 1) (default Math.random; tests pin it). */
  random?: () => number;
  /** Counts every REST and identity call by endpoint and outcome (default: counts nothing). */
  metrics?: Metrics;
  /** The instance label of the metrics (default: the base URL's host). */
  instance?: string;
}

/** Per-call options of {@link MarketoClient.request}. */
export interface RequestOptions {
  query?: Query;
  /** JSON body (POST only). */
  body?: unknown;
  signal?: AbortSignal;
}

/** A streamed answer of {@link MarketoClient.stream}: status, headers, and the body still to read. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Read it to the end or destroy it: either releases the call's quota reservation. */
  body: Readable;
}

/** The endpoint name a path counts under in the quota, e.g. `/rest/v1/activities.json` → `v1/activities`. */
export function endpointName(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/^rest\//, '')
    .replace(/\.json$/, '')
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) || /^[0-9a-f-]{16,}$/i.test(segment) ? ':id' : segment))
    .join('/');
}

const URI_TOO_LONG = Symbol('uri-too-long');

/** The endpoint label of identity (token) calls in the metrics. */
const IDENTITY_ENDPOINT = 'identity/oauth/token';

/**
 * Marketo REST client: bearer-token cache, envelope decoding and classification, retries with
 * full-jitter backoff, quota reservation around every call, the `_method=GET` form for long URIs and
 * gzip. Every failure is a MarketoStreamError whose message never contains the client secret or the
 * access token.
 */
export class MarketoClient {
  readonly #baseUrl: string;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownedAgent: Agent | undefined;
  readonly #quota: QuotaGate;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #tokens: TokenCache;
  readonly #metrics: Metrics;
  readonly #instance: string;
  #lastToken: string | undefined;

  constructor(options: MarketoClientOptions) {
    for (const field of ['baseUrl', 'clientId', 'clientSecret'] as const) {
      if (typeof options[field] !== 'string' || options[field] === '') {
        throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `Marketo client: ${field} is required`, { field });
      }
    }
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#ownedAgent = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 30_000, connections: 10 });
    this.#dispatcher = (options.dispatcher ?? this.#ownedAgent!).compose(interceptors.decompress());
    this.#quota = options.quota;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'marketo-client' });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#random = options.random ?? Math.random;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#instance = options.instance ?? new URL(this.#baseUrl).host;
    this.#tokens = new TokenCache({
      fetch: (signal) => this.#fetchToken(signal),
      clock: options.clock,
      refreshEarlyMs: options.tokenRefreshEarlyMs,
    });
  }

  /**
   * Calls `path` (e.g. `/rest/v1/activities.json`) and returns the decoded envelope. Retriable
   * failures are retried up to `retry.maxAttempts` (each attempt reserves quota again); 601/602
   * refreshes the token and retries once; 607 marks the quota spent and is thrown at once.
   * Rejects with MarketoStreamError, or with the signal's reason when aborted.
   */
  async request<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<MarketoResponse<T>> {
    const { signal } = options;
    const endpoint = endpointName(path);
    const ctx: CallContext = { call: `${method} ${path}`, sentPagingToken: options.query?.nextPageToken !== undefined };
    // Both hold for the whole call, across attempts: the token refreshes so far, and the long form once needed.
    const state = { tokenRefreshes: 0, tunnel: false };
    return retry(() => this.#call<T>(method, path, options, endpoint, ctx, state), {
      ...this.#retry,
      clock: this.#clock,
      signal,
      random: this.#random,
      classify: (err) => clientRetryDecision(err, this.#retry),
      onRetry: (err, { attempt, delayMs }) => {
        const e = err as MarketoStreamError;
        const why =
          e.marketoCode === SUBSCRIPTION_UNREACHABLE_CODE
            ? 'Marketo cannot reach the subscription (614), retrying after a long wait'
            : 'Marketo call failed, retrying';
        this.#logger.warn(
          {
            call: ctx.call,
            code: e.code,
            marketoCode: e.marketoCode,
            requestId: e.requestId,
            status: e.status,
            attempt,
            delayMs,
          },
          `${why}: ${e.message}`,
        );
      },
    });
  }

  /**
   * One attempt of a call, with the re-sends that are not retries: the same call in the
   * `_method=GET` form after Marketo's own 414, and after a 601/602 with a fresh token (at most
   * `maxTokenRefreshes` times per call; then the rejection is surfaced, as credentials that need a person).
   */
  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: RequestOptions,
    endpoint: string,
    ctx: CallContext,
    state: { tokenRefreshes: number; tunnel: boolean },
  ): Promise<MarketoResponse<T>> {
    const { signal } = options;
    for (;;) {
      let token: string | undefined;
      try {
        token = await this.#tokens.get(signal);
        const outcome = await this.#attempt<T>(method, path, options, endpoint, token, state.tunnel, ctx);
        if (outcome !== URI_TOO_LONG) return outcome;
        // Marketo's own 414 (our 8 KB estimate was off): same call in the _method=GET form.
        state.tunnel = true;
      } catch (caught) {
        if (signal?.aborted) throw signal.reason;
        const err = this.#scrub(caught);
        if (!hasCode(err, ErrorCodes.TOKEN_EXPIRED) || state.tokenRefreshes >= this.#retry.maxTokenRefreshes) throw err;
        state.tokenRefreshes += 1;
        if (token !== undefined) await this.#dropToken(token, state.tokenRefreshes, ctx, err, signal);
      }
      signal?.throwIfAborted();
    }
  }

  /**
   * Forgets a rejected token. A first rejection is refreshed at once. A rejection right after a
   * refresh means the identity service handed back the same token in its last moments (it keeps
   * doing so until the token expires by its clock, which may run behind the API's): wait until
   * then, briefly, so the next fetch yields a new token.
   */
  async #dropToken(
    token: string,
    refreshes: number,
    ctx: CallContext,
    err: MarketoStreamError,
    signal?: AbortSignal,
  ): Promise<void> {
    const remainingMs = this.#tokens.remainingMs(token);
    this.#tokens.invalidate(token);
    const waitMs = refreshes === 1 ? 0 : Math.min(Math.max(remainingMs + 500, 1_000), 15_000);
    this.#logger.info(
      { call: ctx.call, marketoCode: err.marketoCode, refresh: refreshes, waitMs },
      'access token rejected; fetching a new one',
    );
    if (waitMs > 0) await this.#clock.sleep(waitMs, signal);
  }

  /** `request('GET', path, { query, signal })`. */
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<MarketoResponse<T>> {
    return this.request<T>('GET', path, { query, signal });
  }

  /**
   * GETs `path` as a byte stream (a bulk export file) with the bearer token and `headers` (e.g.
   * `Range`), uncompressed so byte offsets are the file's. The quota reservation is taken first and
   * held until the body is consumed or destroyed. A JSON answer is a Marketo envelope: 601/602
   * refresh the token and retry as a REST call does (at most `maxTokenRefreshes` times, waiting
   * briefly when the refresh handed back the rejected token), 607 marks the day spent, other errors throw. Any other
   * answer (200, 206, 404, 416, …) is returned for the caller to judge; no retries here. Rejects
   * with MarketoStreamError NETWORK when no answer arrives.
   */
  async stream(
    path: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<RawResponse> {
    const ctx: CallContext = { call: `GET ${path}` };
    for (let tokenRefreshes = 0; ; ) {
      const token = await this.#tokens.get(options.signal);
      const reservation = await this.#quota.reserve(endpointName(path), options.signal);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(`${this.#baseUrl}${path}`, {
          dispatcher: this.#dispatcher,
          method: 'GET',
          headers: { ...options.headers, authorization: `Bearer ${token}`, 'accept-encoding': 'identity' },
          signal: options.signal,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
      } catch (err) {
        await reservation.release({ counted: false });
        if (options.signal?.aborted) throw options.signal.reason;
        throw networkError(ctx, describe(err), err);
      }
      const counted = res.statusCode < 300;
      if (!String(res.headers['content-type'] ?? '').includes('json')) {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          reservation.release({ counted }).catch((releaseErr: unknown) => {
            this.#logger.error({ err: releaseErr, path }, 'could not release a quota reservation');
          });
        };
        res.body.once('close', release);
        return { status: res.statusCode, headers: res.headers, body: res.body };
      }
      const decoded = decodeEnvelope(res.statusCode, await res.body.text(), { ...ctx, status: res.statusCode });
      const err = decoded.ok ? malformedError(ctx, 'a JSON envelope where a file was expected') : decoded.error;
      await reservation.release({ counted: wasCounted(err), marketoCode: err.marketoCode });
      if (hasCode(err, ErrorCodes.TOKEN_EXPIRED) && tokenRefreshes < this.#retry.maxTokenRefreshes) {
        tokenRefreshes += 1;
        await this.#dropToken(token, tokenRefreshes, ctx, err, options.signal);
        continue;
      }
      if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) throw await this.#onQuotaReached(err, reservation.date);
      throw this.#scrub(err);
    }
  }

  /** Closes the keep-alive Agent the client created (a passed-in dispatcher is the caller's to close). */
  async close(): Promise<void> {
    await this.#ownedAgent?.close();
  }

  async #attempt<T>(
    method: 'GET' | 'POST',
    path: string,
    options: RequestOptions,
    endpoint: string,
    token: string,
    tunnel: boolean,
    ctx: CallContext,
  ): Promise<MarketoResponse<T> | typeof URI_TOO_LONG> {
    const wire = buildWireRequest(this.#baseUrl, method, path, options.query, options.body, tunnel);
    const reservation = await this.#quota.reserve(endpoint, options.signal);
    let counted = true;
    let marketoCode: string | undefined;
    const started = this.#clock.now();
    try {
      const { status, body } = await this.#send(wire, { authorization: `Bearer ${token}` }, ctx, options.signal);
      if (status === 414 && !wire.tunnelled) {
        counted = false;
        return URI_TOO_LONG;
      }
      const decoded = decodeEnvelope<T>(status, body, ctx);
      if (!decoded.ok && method === 'GET' && hasCode(decoded.error, ErrorCodes.NO_DATA)) {
        counted = false;
        return noDataResponse<T>(decoded.error, options.query);
      }
      if (!decoded.ok) throw decoded.error;
      this.#metrics.marketoRequest(this.#instance, endpoint, 'success');
      this.#logger.debug(
        {
          call: ctx.call,
          status,
          requestId: decoded.response.requestId,
          records: decoded.response.result.length,
          tunnelled: wire.tunnelled || undefined,
          ms: this.#clock.now() - started,
        },
        'Marketo call',
      );
      return decoded.response;
    } catch (err) {
      this.#metrics.marketoRequest(this.#instance, endpoint, options.signal?.aborted ? 'aborted' : outcomeOf(err));
      counted = options.signal?.aborted ? true : wasCounted(err);
      if (err instanceof MarketoStreamError) marketoCode = err.marketoCode;
      if (hasCode(err, ErrorCodes.QUOTA_EXHAUSTED)) throw await this.#onQuotaReached(err, reservation.date);
      throw err;
    } finally {
      await reservation.release({ counted, marketoCode }).catch((releaseErr: unknown) => {
        this.#logger.error({ err: releaseErr, endpoint }, 'could not release a quota reservation');
      });
    }
  }

  /**
   * Marketo said 607: the quota marks the reservation's day spent (pausing every process on the
   * instance) and says until when.
   */
  async #onQuotaReached(err: MarketoStreamError, reservedOn: string | undefined): Promise<MarketoStreamError> {
    const pause = await this.#quota.exhaust(reservedOn).catch((exhaustErr: unknown) => {
      this.#logger.error({ err: exhaustErr }, 'could not mark the daily quota as spent');
      return undefined;
    });
    if (!pause) return err;
    return new MarketoStreamError(err.code, `${err.message}; paused until ${new Date(pause.resetAt).toISOString()}`, {
      retriable: true,
      marketoCode: err.marketoCode,
      requestId: err.requestId,
      status: err.status,
      retryAfterMs: pause.retryAfterMs,
    });
  }

  /** One HTTP exchange with a timeout; resolves once the whole (decompressed) body is in. */
  async #send(
    wire: WireRequest,
    extraHeaders: Record<string, string>,
    ctx: CallContext,
    signal: AbortSignal | undefined,
    sensitive = false,
  ): Promise<{ status: number; body: string }> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip', ...extraHeaders };
    if (wire.contentType) headers['content-type'] = wire.contentType;
    let status: number | undefined;
    try {
      const res = await request(wire.url, {
        dispatcher: this.#dispatcher,
        method: wire.method,
        headers,
        body: wire.body,
        signal: combined,
      });
      status = res.statusCode;
      return { status, body: await res.body.text() };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `no complete response within ${this.#timeoutMs} ms` : describe(err);
      // A cut-off body means Marketo answered (and may have counted the call): malformed, not network.
      if (status !== undefined) throw malformedError({ ...ctx, status }, `body cut off (${why})`);
      // The identity URL carries the secret: keep undici's error (and its request details) out of it.
      throw networkError(ctx, why, sensitive ? undefined : err);
    }
  }

  async #fetchToken(signal?: AbortSignal): Promise<FetchedToken> {
    // Marketo's identity endpoint takes the credentials as query parameters; this is the only
    // request that carries them, and its URL is never logged.
    const query = encodeQuery({
      grant_type: 'client_credentials',
      client_id: this.#clientId,
      client_secret: this.#clientSecret,
    });
    const ctx: CallContext = { call: 'GET /identity/oauth/token' };
    const wire: WireRequest = {
      method: 'GET',
      url: `${this.#baseUrl}/identity/oauth/token?${query}`,
      tunnelled: false,
    };
    const record = (outcome: string) => this.#metrics.marketoRequest(this.#instance, IDENTITY_ENDPOINT, outcome);
    let decoded: ReturnType<typeof decodeIdentity>;
    try {
      const { status, body } = await this.#send(wire, {}, ctx, signal, true);
      decoded = decodeIdentity(status, body, ctx);
    } catch (err) {
      record(signal?.aborted ? 'aborted' : outcomeOf(err));
      throw err;
    }
    record(decoded instanceof MarketoStreamError ? outcomeOf(decoded) : 'success');
    if (decoded instanceof MarketoStreamError) throw decoded;
    this.#lastToken = decoded.accessToken;
    this.#logger.info({ expiresInS: decoded.expiresIn }, 'Marketo access token obtained');
    return decoded;
  }

  /** Errors leave the client without the secret or a token in their message, whatever produced them. */
  #scrub(err: unknown): unknown {
    if (!(err instanceof Error)) return err;
    const secrets = [
      this.#clientSecret,
      encodeURIComponent(this.#clientSecret),
      new URLSearchParams({ s: this.#clientSecret }).toString().slice(2),
      this.#lastToken,
    ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
    for (const s of secrets) {
      if (err.message.includes(s)) err.message = err.message.split(s).join('[redacted]');
    }
    return err;
  }
}

/**
 * A read answered 702 ("no data found for a given search scenario"): the search found nothing, so
 * it is an empty last page (any paging token sent is handed back: nothing lies after it).
 */
function noDataResponse<T>(err: MarketoStreamError, query: Query | undefined): MarketoResponse<T> {
  const sent = query?.nextPageToken;
  return {
    result: [],
    moreResult: false,
    nextPageToken: typeof sent === 'string' ? sent : undefined,
    warnings: [err.message],
    requestId: err.requestId,
    raw: { success: true, result: [], warnings: [err.message] },
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
