import { type ErrorCode, ErrorCodes, MarketoStreamError } from '../errors.ts';

/** What the classifier knows about the call that failed. */
export interface CallContext {
  /** e.g. `GET /rest/v1/activities.json` (never with a query string: it may carry secrets). */
  call: string;
  /** Whether the call carried a nextPageToken (so a token complaint is about paging). */
  sentPagingToken?: boolean;
  status?: number;
  requestId?: string;
}

/**
 * Response-level codes Adobe lists as temporary: request time-out, API temporarily unavailable,
 * system error, subscription temporarily unreachable (614), transient error, lock wait time-out.
 */
const TRANSIENT_CODES = new Set(['604', '608', '611', '614', '713', '719']);

/** Marketo 614: the subscription cannot be reached for now; retried, after a long wait, and reported. */
export const SUBSCRIPTION_UNREACHABLE_CODE = '614';

/** Marketo 702: no data found for a search (a read answers it as an empty result). */
export const NO_DATA_CODE = '702';

function mapMarketoCode(code: string, message: string, ctx: CallContext): { code: ErrorCode; retriable: boolean } {
  if (code === '601' || code === '602') return { code: ErrorCodes.TOKEN_EXPIRED, retriable: false };
  if (code === '606') return { code: ErrorCodes.RATE_LIMITED, retriable: true };
  if (code === '615') return { code: ErrorCodes.CONCURRENCY_LIMITED, retriable: true };
  if (code === '607') return { code: ErrorCodes.QUOTA_EXHAUSTED, retriable: true };
  if (TRANSIENT_CODES.has(code)) return { code: ErrorCodes.UNAVAILABLE, retriable: true };
  // Response-level 500 and 502 (inside an HTTP 200 envelope): Adobe says retry with exponential backoff.
  if (/^5\d\d$/.test(code)) return { code: ErrorCodes.UNAVAILABLE, retriable: true };
  if (code === NO_DATA_CODE) return { code: ErrorCodes.NO_DATA, retriable: false };
  if (ctx.sentPagingToken && /token/i.test(message)) return { code: ErrorCodes.PAGING_TOKEN_INVALID, retriable: false };
  return { code: ErrorCodes.REQUEST_REJECTED, retriable: false };
}

/**
 * The error for a `success:false` envelope carrying Marketo error `code` (a string, e.g. "606").
 * 601/602 → TOKEN_EXPIRED (the client refreshes the token, a bounded number of times); 606 →
 * RATE_LIMITED; 615 → CONCURRENCY_LIMITED; 607 → QUOTA_EXHAUSTED; 5xx codes (500, 502, …) and
 * 604/608/611/614/713/719 → UNAVAILABLE (retriable); 702 → NO_DATA; a token complaint on a paged
 * call → PAGING_TOKEN_INVALID; anything else → REQUEST_REJECTED (fatal).
 */
export function marketoError(code: string, message: string, ctx: CallContext): MarketoStreamError {
  const mapped = mapMarketoCode(code, message, ctx);
  const rid = ctx.requestId ? ` (requestId ${ctx.requestId})` : '';
  return new MarketoStreamError(mapped.code, `Marketo error ${code} "${message}" on ${ctx.call}${rid}`, {
    retriable: mapped.retriable,
    marketoCode: code,
    requestId: ctx.requestId,
    status: ctx.status,
  });
}

/** The error for an HTTP failure whose body is not a Marketo envelope (gateway pages, 413, 414, …). */
export function httpError(status: number, ctx: CallContext, detail = ''): MarketoStreamError {
  const suffix = detail ? `: ${detail}` : '';
  if (status >= 500 || status === 408) {
    return new MarketoStreamError(ErrorCodes.UNAVAILABLE, `Marketo answered HTTP ${status} on ${ctx.call}${suffix}`, {
      retriable: true,
      status,
    });
  }
  if (status === 429) {
    return new MarketoStreamError(ErrorCodes.RATE_LIMITED, `Marketo answered HTTP 429 on ${ctx.call}${suffix}`, {
      retriable: true,
      status,
    });
  }
  return new MarketoStreamError(
    ErrorCodes.REQUEST_REJECTED,
    `Marketo answered HTTP ${status} on ${ctx.call}${suffix}`,
    {
      status,
    },
  );
}

/** The error for a 2xx body that is not the JSON envelope Marketo promises (retriable). */
export function malformedError(ctx: CallContext, why: string): MarketoStreamError {
  return new MarketoStreamError(ErrorCodes.MALFORMED_RESPONSE, `malformed Marketo response on ${ctx.call}: ${why}`, {
    retriable: true,
    status: ctx.status,
    requestId: ctx.requestId,
  });
}

/** The error for a failure before any response arrived (connection refused/reset, timeout). */
export function networkError(ctx: CallContext, why: string, cause?: unknown): MarketoStreamError {
  return new MarketoStreamError(ErrorCodes.NETWORK, `network failure on ${ctx.call}: ${why}`, {
    retriable: true,
    cause,
  });
}

/**
 * Whether Marketo counted a failed call against its quota. Response-level errors (5xx/6xx/7xx
 * envelopes: Adobe's list says they count against neither quota nor rate limit), HTTP-level refusals
 * and calls that never got a response do not count; a malformed 2xx body might have, so it does
 * (the conservative answer for a budget).
 */
export function wasCounted(err: unknown): boolean {
  if (!(err instanceof MarketoStreamError)) return true;
  if (err.marketoCode !== undefined) return !/^[567]\d\d$/.test(err.marketoCode);
  if (err.code === ErrorCodes.NETWORK) return false;
  if (err.status !== undefined && err.status >= 300) return false;
  return true;
}
