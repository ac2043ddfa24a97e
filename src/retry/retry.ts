import type { Clock } from '../clock.ts';
import { type Backoff, backoffDelay } from './backoff.ts';

/** What to do after a failure: give up (rethrow), or wait and try again. */
export type RetryDecision =
  | { retry: false }
  | {
      retry: true;
      /** Wait exactly this long instead of backing off (the cause named when to come back). */
      waitMs?: number;
      /** Back off, but wait no less than this. */
      atLeastMs?: number;
    };

/**
 * The default classification: an error whose `retriable` is true is retried (ours and kafkajs's
 * both carry the flag), after its `retryAfterMs` when it names one; anything else is rethrown.
 */
export function retriableDecision(err: unknown): RetryDecision {
  const e = err as { retriable?: unknown; retryAfterMs?: unknown } | undefined;
  if (e?.retriable !== true) return { retry: false };
  return typeof e.retryAfterMs === 'number' ? { retry: true, waitMs: e.retryAfterMs } : { retry: true };
}

/** Options of {@link retry}. */
export interface RetryOptions extends Backoff {
  /** Every wait is a sleep on this clock (tests pass a fake one). */
  clock: Clock;
  /** Aborting it stops the retries: `retry` rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Attempts in all, the first included (default: no limit). */
  maxAttempts?: number;
  /** Decides after each failure (default {@link retriableDecision}). */
  classify?: (err: unknown, attempt: number) => RetryDecision;
  /** Told before each wait (for logging). */
  onRetry?: (err: unknown, info: { attempt: number; delayMs: number }) => void;
  /** Source of jitter in [0, 1) (default Math.random; tests pin it). */
  random?: () => number;
}

/**
 * Runs `fn` (given the attempt number, from 1) until it resolves. After a failure, `classify`
 * decides: give up (the error is rethrown, as is the last one once `maxAttempts` are spent), or
 * wait (the decision's exact wait, else full-jitter exponential backoff no shorter than its
 * floor) on the clock and try again.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, signal } = options;
  const classify = options.classify ?? retriableDecision;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const decision = classify(err, attempt);
      if (!decision.retry || attempt >= maxAttempts) throw err;
      const delayMs =
        decision.waitMs ?? Math.max(backoffDelay(attempt, options, options.random), decision.atLeastMs ?? 0);
      options.onRetry?.(err, { attempt, delayMs });
      await clock.sleep(delayMs, signal);
    }
  }
}
