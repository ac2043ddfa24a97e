import type { Clock } from '../clock.ts';

/** One stream of a connection as {@link runLanes} schedules it. */
export interface Lane {
  readonly name: string;
  /** The topic the stream writes. */
  readonly topic: string;
  /** The topic the stream takes its work from (the activity-driven leads read the activities topic). */
  readonly readsTopic?: string;
  /** One pass of the stream, stopping between pages when `signal` aborts. Throws only what ends the connection's run. */
  pass(signal: AbortSignal): Promise<void>;
  /** The stream stands at the present, with no pass in progress. */
  caughtUp(): boolean;
}

/** Options of {@link runLanes}. */
export interface LaneOptions {
  signal: AbortSignal;
  clock: Clock;
  /** Pause between a stream's passes. */
  intervalMs: number;
  /**
   * Return once every stream has caught up. A stream that reads another's topic caught up only
   * after a pass that began once every stream writing that topic (its leaders) had caught up; until
   * then it pauses until they have, rather than passing every interval.
   */
  untilCaughtUp?: boolean;
  /**
   * Called when every lane has begun its pause between passes (none is in a pass): the moment to
   * let go of what only a pass needs. Awaited by the lane that pauses last.
   */
  onAllIdle?: () => Promise<void>;
  /** Awaited before every pass (after an `onAllIdle`: to take back what it let go). */
  beforePass?: (signal: AbortSignal) => Promise<void>;
}

/**
 * Runs each stream of a connection in a lane of its own, side by side: a pass, a pause of
 * `intervalMs`, the next pass, and so on, so a long backfill of one stream holds none of the others
 * back; within a lane, passes and pages stay in order. Resolves when `signal` aborts (or, with
 * untilCaughtUp, when every lane has caught up). A pass that throws stops the other lanes between
 * pages and, once they have, rejects with its error. With untilCaughtUp (a one-off backfill), a
 * stream that reads another's topic passes once at the start and once its leaders have caught up.
 */
export async function runLanes(lanes: readonly Lane[], o: LaneOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const leadersOf = (lane: Lane) =>
    lane.readsTopic === undefined ? [] : lanes.filter((l) => l !== lane && l.topic === lane.readsTopic);
  const finished = new Set<Lane>();
  const pauses = new Map<Lane, AbortController>();
  const finish = (lane: Lane) => {
    finished.add(lane);
    for (const follower of lanes) {
      const leaders = leadersOf(follower);
      if (leaders.includes(lane) && leaders.every((l) => finished.has(l))) pauses.get(follower)?.abort();
    }
  };

  let inPass = 0;
  const pass = async (lane: Lane) => {
    // Counted from before `beforePass`, so no lane lets go while another is taking back.
    inPass++;
    try {
      if (o.beforePass) await o.beforePass(signal);
      if (!signal.aborted) await lane.pass(signal);
    } finally {
      inPass--;
    }
  };

  const runLane = async (lane: Lane) => {
    const leaders = leadersOf(lane);
    while (!signal.aborted) {
      const leadersDone = leaders.every((l) => finished.has(l));
      await pass(lane);
      if (signal.aborted) return;
      if (o.untilCaughtUp && leadersDone && lane.caughtUp()) return finish(lane);
      const pause = new AbortController();
      pauses.set(lane, pause);
      const until = AbortSignal.any([signal, pause.signal]);
      if (o.untilCaughtUp && !leadersDone) {
        // Its last pass waits for its leaders (no clock: a sleep without end would move a fake one there).
        if (leaders.every((l) => finished.has(l))) pause.abort();
        await new Promise((resolve) => (until.aborted ? resolve(undefined) : until.addEventListener('abort', resolve)));
      } else {
        if (inPass === 0 && o.onAllIdle) await o.onAllIdle();
        await o.clock.sleep(o.intervalMs, until);
      }
      pauses.delete(lane);
    }
  };

  let failure: { err: unknown } | undefined;
  await Promise.all(
    lanes.map((lane) =>
      runLane(lane).catch((err: unknown) => {
        failure ??= { err };
        stop.abort();
      }),
    ),
  );
  if (failure) throw failure.err;
}
