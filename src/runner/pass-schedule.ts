/**
 * How long a connection waits before its next pass so that passes start every `intervalMs`
 * (fixed rate): the time its last pass took counts toward the interval, so an activity waits at most
 * about one interval for the pass that fetches it. A pass that took longer than the interval is
 * followed at once (0), with no backlog of missed passes.
 */
export function untilNextPass(passStartedAt: number, intervalMs: number, now: number): number {
  return Math.max(0, passStartedAt + intervalMs - now);
}
