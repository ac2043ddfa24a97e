import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Backoff, RetryDecision } from '../retry/index.ts';
import { SUBSCRIPTION_UNREACHABLE_CODE } from './classify.ts';

/** How the client retries a call that failed retriably (the policy itself is src/retry). */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included (default 6). */
  maxAttempts: number;
  /** Least wait after a 606/615: Marketo's window is 20 s (default 20 000 ms). */
  rateLimitedDelayMs: number;
  /** Least wait after a 614 (subscription unreachable, usually for minutes; default 60 000 ms). */
  unreachableDelayMs: number;
  /** Token refreshes per call after 601/602, the first included, before it is surfaced (default 3). */
  maxTokenRefreshes: number;
}

/** The defaults of {@link RetryPolicy}: backoff from 500 ms, capped at 30 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  rateLimitedDelayMs: 20_000,
  unreachableDelayMs: 60_000,
  maxTokenRefreshes: 3,
});

/**
 * Which failed calls the client retries itself: ours that are `retriable`, waiting at least
 * `rateLimitedDelayMs` after a 606/615, `unreachableDelayMs` after a 614, and at least `retryAfterMs`
 * when the error names one. A spent
 * daily quota, and any wait longer than `maxDelayMs`, is surfaced for the caller to schedule.
 */
export function clientRetryDecision(err: unknown, policy: RetryPolicy): RetryDecision {
  if (!(err instanceof MarketoStreamError) || !err.retriable) return { retry: false };
  if (err.code === ErrorCodes.QUOTA_EXHAUSTED) return { retry: false };
  if (err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxDelayMs) return { retry: false };
  const rateLimited = err.code === ErrorCodes.RATE_LIMITED || err.code === ErrorCodes.CONCURRENCY_LIMITED;
  const floor = rateLimited
    ? policy.rateLimitedDelayMs
    : err.marketoCode === SUBSCRIPTION_UNREACHABLE_CODE
      ? policy.unreachableDelayMs
      : 0;
  return { retry: true, atLeastMs: Math.max(err.retryAfterMs ?? 0, floor) };
}
