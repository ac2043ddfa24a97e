import { describe, expect, it } from 'vitest';
import { type Lane, runLanes } from '../../src/runner/stream-lanes.ts';
import { FakeClock } from '../support/fake-clock.ts';

const INTERVAL_MS = 60_000;

/** A lane whose passes are scripted: each pass takes `passMs` of fake time and catches up after `passes`. */
function scriptedLane(
  clock: FakeClock,
  log: string[],
  o: { name: string; topic: string; readsTopic?: string; passMs: number; passesToCatchUp: number; fail?: Error },
) {
  let passes = 0;
  const lane: Lane = {
    name: o.name,
    topic: o.topic,
    readsTopic: o.readsTopic,
    pass: async (signal) => {
      log.push(`${o.name} start ${clock.now()}`);
      await clock.sleep(o.passMs, signal);
      if (o.fail) throw o.fail;
      if (signal.aborted) {
        log.push(`${o.name} stopped ${clock.now()}`);
        return;
      }
      passes++;
      log.push(`${o.name} end ${clock.now()}`);
    },
    caughtUp: () => passes >= o.passesToCatchUp,
  };
  return { lane, passes: () => passes };
}

describe('runLanes', () => {
  it("runs every stream's passes side by side: a long backfill holds no other stream back", async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const stop = new AbortController();
    const activities = scriptedLane(clock, log, {
      name: 'activities',
      topic: 'a',
      passMs: 10 * INTERVAL_MS,
      passesToCatchUp: 1,
    });
    const programs = scriptedLane(clock, log, { name: 'programs', topic: 'p', passMs: 1_000, passesToCatchUp: 1 });
    const running = runLanes([activities.lane, programs.lane], { signal: stop.signal, clock, intervalMs: INTERVAL_MS });
    // While the activities backfill runs its one long pass, programs pass once per interval.
    while (activities.passes() === 0) await new Promise((r) => setImmediate(r));
    stop.abort();
    await running;
    expect(log[0]).toBe('activities start 0');
    expect(log[1]).toBe('programs start 0');
    expect(log).toContain('programs end 1000');
    expect(log).toContain(`programs start ${INTERVAL_MS + 1_000}`);
    expect(programs.passes()).toBeGreaterThanOrEqual(9);
  });

  it('untilCaughtUp: a stream that reads another one’s topic makes its last pass once that one caught up, not every interval', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const activities = scriptedLane(clock, log, { name: 'acts', topic: 'a', passMs: 5_000, passesToCatchUp: 1 });
    const moreActivities = scriptedLane(clock, log, {
      name: 'acts2',
      topic: 'a',
      passMs: 3 * INTERVAL_MS,
      passesToCatchUp: 1,
    });
    const leads = scriptedLane(clock, log, {
      name: 'leads',
      topic: 'l',
      readsTopic: 'a',
      passMs: 100,
      passesToCatchUp: 1,
    });
    await runLanes([activities.lane, moreActivities.lane, leads.lane], {
      signal: new AbortController().signal,
      clock,
      intervalMs: INTERVAL_MS,
      untilCaughtUp: true,
    });
    expect(activities.passes()).toBe(1);
    expect(moreActivities.passes()).toBe(1);
    // A pass at the start (leaders still running) and one right after the last leader caught up,
    // none at the intervals between.
    expect(log.filter((l) => l.startsWith('leads start'))).toEqual(['leads start 0', `leads start ${3 * INTERVAL_MS}`]);
    expect(clock.now()).toBe(3 * INTERVAL_MS + 100);
  });

  it('untilCaughtUp: a stream not yet caught up passes again after the pause', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const campaigns = scriptedLane(clock, log, { name: 'campaigns', topic: 'c', passMs: 10, passesToCatchUp: 3 });
    await runLanes([campaigns.lane], {
      signal: new AbortController().signal,
      clock,
      intervalMs: INTERVAL_MS,
      untilCaughtUp: true,
    });
    expect(campaigns.passes()).toBe(3);
    expect(log.filter((l) => l.includes('start'))).toEqual([
      'campaigns start 0',
      `campaigns start ${INTERVAL_MS + 10}`,
      `campaigns start ${2 * INTERVAL_MS + 20}`,
    ]);
  });

  it('a pass that fails stops the other streams between pages and rejects with its error', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const failing = scriptedLane(clock, log, {
      name: 'leads',
      topic: 'l',
      passMs: 1_000,
      passesToCatchUp: 1,
      fail: new Error('603 access denied'),
    });
    const long = scriptedLane(clock, log, { name: 'activities', topic: 'a', passMs: 100_000, passesToCatchUp: 1 });
    await expect(
      runLanes([failing.lane, long.lane], { signal: new AbortController().signal, clock, intervalMs: INTERVAL_MS }),
    ).rejects.toThrow('603 access denied');
    expect(log).toContain('activities stopped 1000');
    expect(long.passes()).toBe(0);
  });

  it('stops every lane when the signal aborts, also those pausing between passes', async () => {
    const clock = new FakeClock(0, { autoAdvance: false });
    const log: string[] = [];
    const stop = new AbortController();
    const a = scriptedLane(clock, log, { name: 'a', topic: 'a', passMs: 1_000, passesToCatchUp: 1 });
    const b = scriptedLane(clock, log, { name: 'b', topic: 'b', passMs: 5_000, passesToCatchUp: 1 });
    const running = runLanes([a.lane, b.lane], { signal: stop.signal, clock, intervalMs: INTERVAL_MS });
    clock.advance(1_000); // a finished its pass and pauses; b is mid-pass
    await new Promise((r) => setImmediate(r));
    stop.abort();
    await running;
    expect(log).toEqual(['a start 0', 'b start 0', 'a end 1000', 'b stopped 1000']);
  });
});

describe('runLanes idle hooks', () => {
  it('onAllIdle runs only when every lane pauses, and beforePass precedes every pass', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const stop = new AbortController();
    const long = scriptedLane(clock, log, { name: 'long', topic: 'l', passMs: 3 * INTERVAL_MS, passesToCatchUp: 1 });
    const short = scriptedLane(clock, log, { name: 'short', topic: 's', passMs: 1_000, passesToCatchUp: 1 });
    const running = runLanes([long.lane, short.lane], {
      signal: stop.signal,
      clock,
      intervalMs: INTERVAL_MS,
      onAllIdle: async () => {
        log.push(`idle ${clock.now()}`);
      },
      beforePass: async () => {
        log.push(`before ${clock.now()}`);
      },
    });
    while (long.passes() < 2) await new Promise((r) => setImmediate(r));
    stop.abort();
    await running;
    // While the long pass runs, the short lane's pauses are not idle for the connection.
    const idles = log.filter((l) => l.startsWith('idle')).map((l) => Number(l.split(' ')[1]));
    expect(idles.length).toBeGreaterThan(0);
    expect(idles.every((t) => t >= 3 * INTERVAL_MS)).toBe(true);
    const starts = log.filter((l) => / start /.test(l)).length;
    expect(log.filter((l) => l.startsWith('before')).length).toBe(starts);
  });
});
