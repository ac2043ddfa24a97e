import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** How the client retries retriable failures. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 6). */
  maxAttempts: number;
  /** Cap of the first backoff; doubles per attempt (default 500 ms). */
  baseDelayMs: number;
  /** Cap of any backoff; a retriable error that asks for a longer wait is surfaced instead (default 30 s). */
  maxDelayMs: number;
  /** Least wait after a 606/615: Marketo's window is 20 s (default 20 000 ms). */
  rateLimitedDelayMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  rateLimitedDelayMs: 20_000,
});

/** Full-jitter exponential backoff: uniform in [0, min(maxDelay, base · 2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * How long to wait before attempt `attempt + 1` after `err` failed attempt `attempt`, or undefined to
 * give up. Decided by `retriable` alone (plus the attempt budget); errors that name a wait longer
 * than `maxDelayMs` (a spent daily quota) are surfaced for the caller to schedule.
 */
export function retryDelay(
  err: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (!(err instanceof MarketoStreamError) || !err.retriable) return undefined;
  if (attempt >= policy.maxAttempts) return undefined;
  if (err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxDelayMs) return undefined;
  let delay = backoffDelay(attempt, policy, random);
  if (err.retryAfterMs !== undefined) delay = Math.max(delay, err.retryAfterMs);
  if (err.code === ErrorCodes.RATE_LIMITED || err.code === ErrorCodes.CONCURRENCY_LIMITED) {
    delay = Math.max(delay, policy.rateLimitedDelayMs);
  }
  return delay;
}
