import type { Clock } from '../clock.ts';
import { type ErrorCode, ErrorCodes, hasCode, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { backoffDelay, type RetryDecision, retry } from '../retry/index.ts';
import type { ConnectionStatusWriter } from '../status/index.ts';

/**
 * Failures only a person can fix: credentials refused (Marketo identity, 601/602 past the client's
 * refreshes, Kafka, registry or Redis), a request Marketo rejects for good (603 missing permission,
 * 1006 unknown field, …), configuration that names what the instance does not have, a schema the
 * registry refuses, a cursor the code cannot store.
 */
const NEEDS_A_PERSON: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.AUTH_FAILED,
  ErrorCodes.TOKEN_EXPIRED,
  ErrorCodes.CREDENTIALS_REJECTED,
  ErrorCodes.REQUEST_REJECTED,
  ErrorCodes.NO_DATA,
  ErrorCodes.CONFIG_INVALID,
  ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE,
  ErrorCodes.CONFIG_UNKNOWN_LEAD_FIELD,
  ErrorCodes.SCHEMA_REJECTED,
  ErrorCodes.CURSOR_INVALID,
]);

/** Whether `err` needs a person (the connection goes `failed`); anything else is transient and retried. */
export function needsAPerson(err: unknown): boolean {
  return err instanceof MarketoStreamError && !err.retriable && NEEDS_A_PERSON.has(err.code);
}

/** Backoff of a connection whose run failed transiently: full jitter from 5 s, capped at 5 minutes. */
export const SUPERVISOR_BACKOFF = { baseDelayMs: 5_000, maxDelayMs: 300_000 };

/**
 * A run that lasted this long was healthy: the backoff of the failures after it starts again from
 * its first step, so that failures spread over days never add up to the 5-minute cap.
 */
export const HEALTHY_RUN_MS = 60_000;

/**
 * The wait before a connection that was taken over (its lease lost, or its producer fenced) runs
 * again. Its next run waits for the lease anyway, so there is nothing to back off from, and a
 * backoff would keep a connection the group assigns here idle for minutes.
 */
export const LEASE_LOST_RETRY_MS = 1_000;

/** Options of {@link superviseConnection}. */
export interface SupervisorOptions<T> {
  /** One run of the connection: resolves when it stops on its own (signal, caught up, lease lost). */
  run: (signal: AbortSignal) => Promise<T>;
  status: ConnectionStatusWriter;
  clock: Clock;
  /** Already bound to the connection. */
  logger: Logger;
  signal: AbortSignal;
  /** How long a failed connection waits before it is tried again. */
  failedRetryMs: number;
  /** Return after the first run that ends (caught up) or fails for a person, instead of retrying it. */
  untilCaughtUp?: boolean;
  /** Source of jitter in [0, 1) (tests pin it). */
  random?: () => number;
}

/** How a supervised connection ended: its run's result, or (untilCaughtUp only) the failure that needs a person. */
export type SupervisedResult<T> = { result?: T; error?: Error };

/**
 * Keeps one connection running until `signal` aborts: a run that ends by itself while the service
 * goes on (its lease was lost) is started again, waiting for the lease; a transient failure is
 * retried with backoff and jitter (state `waiting`); a failure that needs a person puts the
 * connection in state `failed` and is retried every `failedRetryMs`, so a fix needs no restart.
 * Every retry is logged and written to the connection's status. With `untilCaughtUp`, a failure
 * that needs a person ends supervision, returned as `error`.
 */
export async function superviseConnection<T>(o: SupervisorOptions<T>): Promise<SupervisedResult<T>> {
  const { clock, logger: log, status, signal } = o;
  /** Transient failures since the last healthy run: the backoff's step. */
  let failuresInARow = 0;
  let runStartedAt = clock.now();
  const classify = (err: unknown): RetryDecision => {
    if (needsAPerson(err)) return o.untilCaughtUp ? { retry: false } : { retry: true, waitMs: o.failedRetryMs };
    // Taken over (lease lost, or fenced by the producer of a worker that holds it now).
    if (hasCode(err, ErrorCodes.FENCED)) return { retry: true, waitMs: LEASE_LOST_RETRY_MS };
    failuresInARow = clock.now() - runStartedAt >= HEALTHY_RUN_MS ? 1 : failuresInARow + 1;
    return { retry: true, waitMs: backoffDelay(failuresInARow, SUPERVISOR_BACKOFF, o.random) };
  };
  try {
    const result = await retry(
      async () => {
        runStartedAt = clock.now();
        const outcome = await o.run(signal);
        if (o.untilCaughtUp || signal.aborted) return outcome;
        throw new MarketoStreamError(ErrorCodes.FENCED, 'the connection lease was lost; waiting to take it back', {
          retriable: true,
        });
      },
      {
        ...SUPERVISOR_BACKOFF,
        clock,
        signal,
        random: o.random,
        classify,
        onRetry: (err, { delayMs }) => {
          const nextRetryAt = clock.now() + delayMs;
          const reason = err instanceof Error ? err.message : String(err);
          if (needsAPerson(err)) {
            log.error(
              { err, nextRetryAt: new Date(nextRetryAt).toISOString() },
              'connection failed and needs a person; trying again later',
            );
            void status.set('failed', { reason, nextRetryAt });
          } else {
            log.warn(
              { err, waitMs: delayMs, nextRetryAt: new Date(nextRetryAt).toISOString() },
              'connection run failed; retrying',
            );
            void status.set('waiting', { reason, nextRetryAt });
          }
        },
      },
    );
    await status.set('stopped', { reason: signal.aborted ? 'service stopped' : 'caught up' });
    return { result };
  } catch (err) {
    if (signal.aborted) {
      await status.set('stopped', { reason: 'service stopped' });
      return {};
    }
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err }, 'connection failed and needs a person');
    await status.set('failed', { reason });
    return { error: err as Error };
  }
}
