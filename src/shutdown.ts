import type { Logger } from './log.ts';

/** Time from the stop signal to the forced exit: inside the 10 s an orchestrator usually grants. */
export const SHUTDOWN_GRACE_MS = 9_000;

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** Aborted at the first signal: the service stops after (or aborts) the page in hand and closes. */
  controller: AbortController;
  logger: Logger;
  /** Forced exit this long after the first signal (default SHUTDOWN_GRACE_MS). */
  graceMs?: number;
  /** Default process.exit (tests pass their own). */
  exit?: (code: number) => void;
}

/**
 * Graceful stop on SIGTERM and SIGINT: the first signal aborts `controller` and arms a forced exit
 * (code 1, logged) for when the service has not ended within the grace time; a second signal exits
 * at once. Returns a function that removes the handlers and the timer (call it once the service ended).
 */
export function stopOnSignals(o: StopOnSignalsOptions): () => void {
  const graceMs = o.graceMs ?? SHUTDOWN_GRACE_MS;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (o.controller.signal.aborted) {
      o.logger.warn({ signal }, 'second stop signal; exiting now');
      exit(1);
      return;
    }
    o.logger.info({ signal, graceMs }, 'stopping: the page in hand is committed or aborted, then the service closes');
    o.controller.abort(new Error(`stopped by ${signal}`));
    timer = setTimeout(() => {
      o.logger.error({ signal, graceMs }, 'the service did not stop within the grace time; forcing the exit');
      exit(1);
    }, graceMs);
    // The timer must not keep a process alive that has otherwise finished.
    timer.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    clearTimeout(timer);
  };
}
