import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { MarketoActivity, MarketoClient } from '../../src/marketo/index.ts';
import { type ActivitiesCursor, activitiesStream } from '../../src/streams/activities.ts';
import type { LookbackSchedule } from '../../src/streams/lookback-schedule.ts';
import { FakeClock } from '../support/fake-clock.ts';

const START = '2025-06-01T00:00:00Z';
const HOUR = 3_600_000;

/**
 * A Marketo that holds `activities` (all visible) and records the `sinceDatetime` of every paging
 * token asked for and every token sent. One page per pass; the page that caught up carries a token
 * standing at `clock`'s present (`from:<ISO>`). `reject` lists tokens it refuses, with `error`.
 */
function fakeMarketo(activities: MarketoActivity[], clock: FakeClock, reject = new Set<string>(), error?: Error) {
  const since: string[] = [];
  const sent: string[] = [];
  const get = async (path: string, query?: Record<string, unknown>) => {
    if (path.endsWith('pagingtoken.json')) {
      since.push(String(query?.sinceDatetime));
      return { result: [], warnings: [], nextPageToken: `from:${query?.sinceDatetime}`, raw: {} };
    }
    const token = String(query?.nextPageToken);
    sent.push(token);
    if (reject.has(token)) throw error;
    const from = Date.parse(token.slice('from:'.length));
    const result = activities.filter((a) => Date.parse(a.activityDate) >= from);
    const end = `from:${new Date(clock.now() + 1000).toISOString()}`;
    return { result, warnings: [], moreResult: false, nextPageToken: end, raw: {} };
  };
  return { client: { get } as unknown as MarketoClient, since, sent };
}

/** Every pass re-reads the look-back and there is no deep one: the behaviour before the schedule. */
const everyPass = (lookbackMs: number): LookbackSchedule => ({
  lookbackMs,
  everyMs: 0,
  deepLookbackMs: 0,
  deepEveryMs: 24 * HOUR,
});

const activity = (date: string, n = 1): MarketoActivity => ({
  marketoGUID: `g-${n}`,
  leadId: n,
  activityDate: date,
  activityTypeId: 6,
});

/** Runs `passes` passes of one activities group, the clock moving `everyMs` between them. */
async function runPasses(
  activities: MarketoActivity[],
  passes: number,
  schedule: LookbackSchedule,
  everyMs = 5 * 60_000,
  marketo: (clock: FakeClock) => ReturnType<typeof fakeMarketo> = (clock) => fakeMarketo(activities, clock),
) {
  const clock = new FakeClock('2026-01-15T12:00:00Z');
  const { client, since, sent } = marketo(clock);
  const def = activitiesStream({
    client,
    group: { ids: [6], request: [6] },
    topic: 't',
    instance: 'i',
    connection: 'c',
    typeNames: new Map([[6, 'Send Email']]),
    startDate: START,
    schedule,
    dailySplitThreshold: 1_000_000,
  });
  const ctx = { clock, logger: createLogger({ level: 'silent' }), signal: new AbortController().signal };
  const fetched: string[][] = [];
  const kinds: (string | undefined)[] = [];
  const starts: string[] = [];
  let cursor: ActivitiesCursor = def.initialCursor(clock.now());
  for (let pass = 0; pass < passes; pass++) {
    cursor = def.beginPass(cursor, clock.now());
    kinds.push(cursor.passKind);
    starts.push(cursor.sinceDate);
    for (let done = false; !done; ) {
      const page = await def.fetchPage(cursor, ctx);
      fetched.push(page.records.map((r) => (r as MarketoActivity).marketoGUID));
      cursor = page.cursor;
      done = page.done;
    }
    clock.advance(everyMs);
  }
  return { since, sent, fetched, kinds, starts, cursor, dedupeMs: def.lookbackMs };
}

describe('activities passes (issue #12.4)', () => {
  it('a group that never had an activity starts each pass from when the last one started, not from the start date', async () => {
    const { since, sent } = await runPasses([], 3, everyPass(HOUR));
    expect(since[0]).toBe(START);
    // Pass 2 starts one look-back behind pass 1's start (12:00); pass 3 behind pass 2's (12:05),
    // from the token pass 2 was given for 11:00 (held, within the grain): no start-date rescan.
    expect(since.slice(1)).toEqual(['2026-01-15T11:00:00Z']);
    expect(sent.at(-1)).toBe('from:2026-01-15T11:00:00Z');
  });

  it('a rare type starts from the last pass, not from its last occurrence months ago', async () => {
    const { since, sent, fetched } = await runPasses([activity('2025-08-01T10:00:00Z')], 3, everyPass(HOUR));
    expect(fetched.flat()).toEqual(['g-1']);
    expect(since.slice(1)).toEqual(['2026-01-15T11:00:00Z']);
    expect(sent.at(-1)).toBe('from:2026-01-15T11:00:00Z');
  });
});

const MIN = 60_000;
const schedule: LookbackSchedule = {
  lookbackMs: HOUR,
  everyMs: 60 * MIN,
  deepLookbackMs: 26 * HOUR,
  deepEveryMs: 24 * HOUR,
};

describe('the look-back schedule (issue #12.5)', () => {
  it('a pass between look-backs continues from the token of the last caught-up page, with no pagingtoken.json call', async () => {
    // 12 passes 5 minutes apart: 12:00 (backfill) … 12:55, all before the first look-back is due.
    const { since, sent, kinds } = await runPasses([], 12, schedule);
    expect(since).toEqual([START]);
    expect(kinds).toEqual(['deep', ...Array(11).fill('tail')]);
    // One activities call per pass, each with the token the previous pass ended on.
    expect(sent).toHaveLength(12);
    for (let pass = 1; pass < 12; pass++) {
      expect(sent[pass]).toBe(
        `from:${new Date(Date.parse('2026-01-15T12:00:01Z') + (pass - 1) * 5 * MIN).toISOString()}`,
      );
    }
  });

  it('re-reads the regular window every lookbackEvery, and the deep window every deepEvery', async () => {
    // A pass every 30 minutes for 25 hours.
    const { since, kinds, starts, sent } = await runPasses([], 51, schedule, 30 * MIN);
    expect(kinds.filter((k) => k === 'tail')).toHaveLength(25);
    expect(kinds.filter((k) => k === 'deep')).toHaveLength(2); // the backfill, then 24 h later
    expect(kinds.filter((k) => k === 'lookback')).toHaveLength(24);
    expect(kinds.slice(0, 5)).toEqual(['deep', 'tail', 'lookback', 'tail', 'lookback']);
    // The regular look-back starts an hour behind the last pass's start; the deep one 26 hours.
    expect(since[1]).toBe('2026-01-15T11:30:00Z');
    const deepAt = kinds.lastIndexOf('deep');
    expect(deepAt).toBe(48);
    // 26 h behind where the last pass reached: its start, 11:30 the next day (nothing held that old).
    expect(starts[deepAt]).toBe('2026-01-15T09:30:00.000Z');
    expect(since.at(-1)).toBe('2026-01-15T09:30:00Z');
    // Later regular look-backs start from the token held where their window starts: only the
    // first look-back and the deep one ask pagingtoken.json (besides the backfill).
    expect(since).toHaveLength(3);
    expect(starts[4]).toBe('2026-01-15T12:30:00.000Z');
    expect(sent[4]).toBe('from:2026-01-15T12:30:01.000Z');
  });

  it('counts for the deep look-back estimate only activities newer than any seen (not the backfill, not re-reads)', async () => {
    const seen = [activity('2026-01-15T11:58:00Z', 2), activity('2026-01-15T11:59:00Z', 3)];
    const { cursor, fetched } = await runPasses(seen, 4, everyPass(HOUR));
    // Every pass re-read both (each look-back window holds them), none of them counts.
    expect(fetched.flat().filter((id) => id === 'g-2')).toHaveLength(4);
    expect(cursor.rowsSinceDeep).toBe(0);
  });

  it('remembers published ids for the widest window a pass may re-read', async () => {
    // The window, and the grain by which a re-read from a held token may start before it.
    expect((await runPasses([], 1, schedule)).dedupeMs).toBe(27 * HOUR);
    expect((await runPasses([], 1, { ...schedule, deepLookbackMs: 0 })).dedupeMs).toBe(2 * HOUR);
    // LOOKBACK_MINUTES=0 and no deep look-back: still the second a fresh token re-reads.
    expect((await runPasses([], 1, { ...schedule, lookbackMs: 0, deepLookbackMs: 0 })).dedupeMs).toBe(HOUR + 1000);
  });

  it('a held token Marketo rejects (by code, whatever the wording) is replaced by a fresh one from the stored date', async () => {
    const rejected = new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, 'Marketo error 1003 "something new"', {
      marketoCode: '1003',
    });
    const held = 'from:2026-01-15T12:00:01.000Z';
    const seen = [activity('2026-01-15T11:58:00Z', 2)];
    const { since, sent, fetched } = await runPasses(seen, 2, schedule, 5 * MIN, (c) =>
      fakeMarketo(seen, c, new Set([held]), rejected),
    );
    expect(sent.slice(1)).toEqual([held, 'from:2026-01-15T11:59:59Z']);
    // The fresh token starts one second behind where the last pass reached (its start).
    expect(since).toEqual([START, '2026-01-15T11:59:59Z']);
    expect(fetched.flat()).toEqual(['g-2']);
  });

  it('a retriable failure with a held token is not taken for a rejection', async () => {
    const outage = new MarketoStreamError(ErrorCodes.UNAVAILABLE, 'Marketo error 611', {
      retriable: true,
      marketoCode: '611',
    });
    const held = 'from:2026-01-15T12:00:01.000Z';
    await expect(runPasses([], 2, schedule, 5 * MIN, (c) => fakeMarketo([], c, new Set([held]), outage))).rejects.toBe(
      outage,
    );
  });
});
