import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** Socket errors of a Redis connection that is down or going down. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * True for errors that mean Redis is not answering right now, not that the command was wrong:
 * ioredis's MaxRetriesPerRequestError and closed-connection errors, socket errors, and the replies
 * of a Redis that is loading its data or failing over (LOADING, MASTERDOWN, TRYAGAIN, CLUSTERDOWN).
 */
export function isRedisOutage(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof MarketoStreamError) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (
    /^(Connection is closed|Stream isn't writeable|Connection timed out|connect ETIMEDOUT)/.test(err.message) ||
    /^(LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/.test(err.message)
  );
}

/**
 * `err` as a retriable MarketoStreamError REDIS_UNAVAILABLE when it is a Redis outage (see
 * {@link isRedisOutage}); any other error is returned unchanged.
 */
export function asRedisUnavailable(err: unknown): unknown {
  if (!isRedisOutage(err)) return err;
  return new MarketoStreamError(ErrorCodes.REDIS_UNAVAILABLE, `Redis unavailable: ${(err as Error).message}`, {
    retriable: true,
    // Not the ioredis error itself: it may carry the failed command and its arguments.
    cause: new Error((err as Error).message),
  });
}

/** Runs a Redis operation, turning an outage into REDIS_UNAVAILABLE (see {@link asRedisUnavailable}). */
export async function redisCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw asRedisUnavailable(err);
  }
}
