import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import type { MarketoActivity, MarketoClient } from '../../src/marketo/index.ts';
import { type ActivitiesCursor, activitiesStream } from '../../src/streams/activities.ts';
import { FakeClock } from '../support/fake-clock.ts';

const START = '2025-06-01T00:00:00Z';
const HOUR = 3_600_000;

/**
 * A Marketo that holds `activities` (all visible) and records the `sinceDatetime` of every paging
 * token asked for. One page per pass.
 */
function fakeMarketo(activities: MarketoActivity[]) {
  const since: string[] = [];
  const get = async (path: string, query?: Record<string, unknown>) => {
    if (path.endsWith('pagingtoken.json')) {
      since.push(String(query?.sinceDatetime));
      return { result: [], warnings: [], nextPageToken: `from:${query?.sinceDatetime}`, raw: {} };
    }
    const from = Date.parse(String(query?.nextPageToken).slice('from:'.length));
    const result = activities.filter((a) => Date.parse(a.activityDate) >= from);
    return { result, warnings: [], moreResult: false, nextPageToken: 'end', raw: {} };
  };
  return { client: { get } as unknown as MarketoClient, since };
}

const activity = (date: string, n = 1): MarketoActivity => ({
  marketoGUID: `g-${n}`,
  leadId: n,
  activityDate: date,
  activityTypeId: 6,
});

/** Runs `passes` passes of one activities group, the clock moving `everyMs` between them. */
async function runPasses(activities: MarketoActivity[], passes: number, lookbackMs: number, everyMs = 5 * 60_000) {
  const clock = new FakeClock('2026-01-15T12:00:00Z');
  const { client, since } = fakeMarketo(activities);
  const def = activitiesStream({
    client,
    group: { ids: [6], request: [6] },
    topic: 't',
    instance: 'i',
    connection: 'c',
    typeNames: new Map([[6, 'Send Email']]),
    startDate: START,
    lookbackMs,
    dailySplitThreshold: 1_000_000,
  });
  const ctx = { clock, logger: createLogger({ level: 'silent' }), signal: new AbortController().signal };
  const fetched: string[][] = [];
  let cursor: ActivitiesCursor = def.initialCursor(clock.now());
  for (let pass = 0; pass < passes; pass++) {
    cursor = def.beginPass(cursor, clock.now());
    for (let done = false; !done; ) {
      const page = await def.fetchPage(cursor, ctx);
      fetched.push(page.records.map((r) => (r as MarketoActivity).marketoGUID));
      cursor = page.cursor;
      done = page.done;
    }
    clock.advance(everyMs);
  }
  return { since, fetched };
}

describe('activities passes (issue #12.4)', () => {
  it('a group that never had an activity starts each pass from when the last one started, not from the start date', async () => {
    const { since } = await runPasses([], 3, HOUR);
    expect(since[0]).toBe(START);
    // Pass 2 starts one look-back behind pass 1's start (12:00), pass 3 behind pass 2's (12:05).
    expect(since.slice(1)).toEqual(['2026-01-15T11:00:00Z', '2026-01-15T11:05:00Z']);
  });

  it('a rare type starts from the last pass, not from its last occurrence months ago', async () => {
    const { since, fetched } = await runPasses([activity('2025-08-01T10:00:00Z')], 3, HOUR);
    expect(fetched.flat()).toEqual(['g-1']);
    expect(since.slice(1)).toEqual(['2026-01-15T11:00:00Z', '2026-01-15T11:05:00Z']);
  });
});
