/** Bounds of an exponential backoff: the first wait's ceiling doubles per attempt, up to a cap. */
export interface Backoff {
  /** Ceiling of the first wait. */
  baseDelayMs: number;
  /** Ceiling of any wait. */
  maxDelayMs: number;
}

/**
 * Full-jitter exponential backoff: a whole number of ms, uniform in
 * [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))). Jitter spreads the retries of many clients
 * that failed together (a Marketo outage hits every connection at once).
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
