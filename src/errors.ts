/**
 * The one error class of marketo-stream. Every failure the service raises on purpose carries a
 * fixed, machine-readable `code`, a `retriable` flag that retry loops act on alone, and where
 * Marketo produced it, Marketo's own error code and request id.
 */
export const ErrorCodes = {
  /** Configuration is missing or invalid; `field` names the culprit. Fatal. */
  CONFIG_INVALID: 'MKTO_CONFIG_INVALID',
  /** Identity endpoint refused the client credentials (HTTP 401). Fatal. */
  AUTH_FAILED: 'MKTO_AUTH_FAILED',
  /** Marketo 601/602: the access token is invalid or expired; refresh it and retry once. */
  TOKEN_EXPIRED: 'MKTO_TOKEN_EXPIRED',
  /** Marketo 606, or the local 20 s pacing window is full. Retriable after a wait. */
  RATE_LIMITED: 'MKTO_RATE_LIMITED',
  /** Marketo 615, or the local in-flight semaphore is full. Retriable after a wait. */
  CONCURRENCY_LIMITED: 'MKTO_CONCURRENCY_LIMITED',
  /** Marketo 607, or the local daily budget is spent. Wait until the next Central midnight. */
  QUOTA_EXHAUSTED: 'MKTO_QUOTA_EXHAUSTED',
  /** 5xx, 604, 608, 611, 713, 719: Marketo-side transient failure. Retriable. */
  UNAVAILABLE: 'MKTO_UNAVAILABLE',
  /** Network failure or client-side timeout. Retriable. */
  NETWORK: 'MKTO_NETWORK',
  /** The body is not the JSON envelope Marketo promises (HTML gateway page, truncated JSON). Retriable. */
  MALFORMED_RESPONSE: 'MKTO_MALFORMED_RESPONSE',
  /** A stored nextPageToken was rejected; restart paging from the stored date. */
  PAGING_TOKEN_INVALID: 'MKTO_PAGING_TOKEN_INVALID',
  /** Any other Marketo error (603, 609, 610, 701, 1003, 1006, …). Fatal until someone fixes the cause. */
  REQUEST_REJECTED: 'MKTO_REQUEST_REJECTED',
  /** A record could not be encoded against its schema (goes to the dead-letter topic). */
  ENCODING_FAILED: 'MKTO_ENCODING_FAILED',
  /** The schema registry refused a schema (e.g. an incompatible change). Fatal. */
  SCHEMA_REJECTED: 'MKTO_SCHEMA_REJECTED',
  /**
   * Kafka, the schema registry or Redis refused our credentials (SASL, basic auth, ACL user); the
   * message names the service, the user and the setting to fix, never the secret. Fatal until fixed.
   */
  CREDENTIALS_REJECTED: 'MKTO_CREDENTIALS_REJECTED',
  /** Another worker took over this connection (lease lost or producer fenced). Stop working on it. */
  FENCED: 'MKTO_FENCED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface MarketoStreamErrorOptions {
  retriable?: boolean;
  /** Marketo's error code as it sent it (a string, e.g. "606"). */
  marketoCode?: string;
  requestId?: string;
  /** HTTP status, when one was received. */
  status?: number;
  /** The configuration field at fault (CONFIG_INVALID). */
  field?: string;
  /** How long to wait before retrying, when the cause says so (e.g. until the quota resets). */
  retryAfterMs?: number;
  cause?: unknown;
}

/** An error of marketo-stream: a fixed `code`, `retriable` for retry loops, Marketo's code and request id when it came from Marketo. */
export class MarketoStreamError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly marketoCode?: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly field?: string;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: MarketoStreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MarketoStreamError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.marketoCode = options.marketoCode;
    this.requestId = options.requestId;
    this.status = options.status;
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when `err` is a MarketoStreamError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is MarketoStreamError {
  return err instanceof MarketoStreamError && err.code === code;
}
