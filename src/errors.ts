/**
 * The one error class of marketo-stream. Every failure the service raises on purpose carries a
 * fixed, machine-readable `code`, a `retriable` flag that retry loops act on alone, and where
 * Marketo produced it, Marketo's own error code and request id.
 */
export const ErrorCodes = {
  /** Configuration is missing or invalid; `field` names the culprit. Fatal. */
  CONFIG_INVALID: 'MKTO_CONFIG_INVALID',
  /** A configured activity type (`activityTypes`) does not exist on the instance. Fatal. */
  CONFIG_UNKNOWN_ACTIVITY_TYPE: 'MKTO_CONFIG_UNKNOWN_ACTIVITY_TYPE',
  /** A configured lead field (`leadFields`) is not in the instance's lead description. Fatal. */
  CONFIG_UNKNOWN_LEAD_FIELD: 'MKTO_CONFIG_UNKNOWN_LEAD_FIELD',
  /** A cursor cannot be stored (e.g. its `seq` is not a non-negative integer); a bug, not a configuration error. Fatal. */
  CURSOR_INVALID: 'MKTO_CURSOR_INVALID',
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
  /** HTTP 5xx, response-level 5xx (500, 502, …), 604, 608, 611, 614, 713, 719: Marketo-side transient failure. Retriable. */
  UNAVAILABLE: 'MKTO_UNAVAILABLE',
  /** Network failure or client-side timeout. Retriable. */
  NETWORK: 'MKTO_NETWORK',
  /** The body is not the JSON envelope Marketo promises (HTML gateway page, truncated JSON). Retriable. */
  MALFORMED_RESPONSE: 'MKTO_MALFORMED_RESPONSE',
  /** A stored nextPageToken was rejected; restart paging from the stored date. */
  PAGING_TOKEN_INVALID: 'MKTO_PAGING_TOKEN_INVALID',
  /**
   * Marketo 702 "no data found for a given search scenario": for a read (GET) the client answers
   * an empty result instead; elsewhere it is rejected without a retry.
   */
  NO_DATA: 'MKTO_NO_DATA',
  /** Any other Marketo error (603, 609, 610, 701, 1003, 1006, …). Fatal until someone fixes the cause. */
  REQUEST_REJECTED: 'MKTO_REQUEST_REJECTED',
  /** A record could not be encoded against its schema (goes to the dead-letter topic). */
  ENCODING_FAILED: 'MKTO_ENCODING_FAILED',
  /** The schema registry refused a schema (e.g. an incompatible change). Fatal. */
  SCHEMA_REJECTED: 'MKTO_SCHEMA_REJECTED',
  /** The schema registry could not be reached or failed (5xx). Retriable. */
  REGISTRY_UNAVAILABLE: 'MKTO_REGISTRY_UNAVAILABLE',
  /** A topic was not read to its end in time (a busy broker or process). Retriable. */
  KAFKA_READ_TIMEOUT: 'MKTO_KAFKA_READ_TIMEOUT',
  /** Kafka answered a transaction without what it must contain (e.g. no produce response for the checkpoint). */
  KAFKA_UNEXPECTED_RESPONSE: 'MKTO_KAFKA_UNEXPECTED_RESPONSE',
  /** The publisher's worker thread died or broke its protocol; `retriable` when a new thread can take over. */
  PUBLISHER_THREAD_FAILED: 'MKTO_PUBLISHER_THREAD_FAILED',
  /**
   * Kafka, the schema registry or Redis refused our credentials (SASL, basic auth, ACL user); the
   * message names the service, the user and the setting to fix, never the secret. Fatal until fixed.
   */
  CREDENTIALS_REJECTED: 'MKTO_CREDENTIALS_REJECTED',
  /**
   * Redis did not answer (connection refused or lost, its retries per command spent, still loading
   * its data). Retriable: nothing that needs Redis (a quota reservation above all) goes ahead without it.
   */
  REDIS_UNAVAILABLE: 'MKTO_REDIS_UNAVAILABLE',
  /** Another worker took over this connection (lease lost or producer fenced). Stop working on it. */
  FENCED: 'MKTO_FENCED',
  /**
   * Bulk Extract said wait (Marketo 1029: job queue full or daily export quota spent), or our own
   * export budget / job slots are taken. Retriable after `retryAfterMs`; never a failure.
   */
  BULK_WAIT: 'MKTO_BULK_WAIT',
  /** A bulk export job ended Failed or Cancelled. Recreate the job (once) or report it. */
  BULK_JOB_FAILED: 'MKTO_BULK_JOB_FAILED',
  /** A bulk export file is gone (HTTP 404: expired after 7 days, or not there). Recreate the job. */
  BULK_FILE_GONE: 'MKTO_BULK_FILE_GONE',
  /** A downloaded bulk file does not match the job's fileSize or fileChecksum. Retriable (download again). */
  BULK_FILE_CORRUPT: 'MKTO_BULK_FILE_CORRUPT',
  /** One row of a bulk file cannot be read as a record (goes to the dead-letter topic). */
  BULK_ROW_INVALID: 'MKTO_BULK_ROW_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface MarketoStreamErrorOptions {
  retriable?: boolean;
  /** Marketo's error code as it sent it (a string, e.g. "606"). */
  marketoCode?: string;
  requestId?: string;
  /** HTTP status, when one was received. */
  status?: number;
  /** The configuration field (CONFIG_*) or cursor field (CURSOR_INVALID) at fault. */
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
