import { afterEach, describe, expect, it } from 'vitest';
import { judgeSoak, type TruthActivity } from '../../bench/soak-verdict.ts';
import { simClient } from '../../simulator/helpers.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { formatMarketoDate } from '../../src/marketo/index.ts';

const MINUTE = 60_000;
const on = (guid: string, date: number, lateMs = 0): TruthActivity => ({ guid, date, visibleAt: date + lateMs });

describe('judgeSoak', () => {
  const window = 59 * MINUTE;

  it('counts duplicates, missing and unexpected ids against the ground truth', () => {
    const truth = [on('a', 1000), on('b', 2000), on('c', 3000)];
    const v = judgeSoak(['a', 'b', 'a', 'x'], truth, window);
    expect(v.records).toBe(3);
    expect(v.duplicates).toEqual(['a']);
    expect(v.missing).toEqual(['c']);
    expect(v.unexpected).toEqual(['x']);
    expect(v.beyondCatchWindow).toEqual([]);
  });

  it('a late arrival not published is missing inside the catch window and counted apart beyond it', () => {
    const truth = [on('in', 0, window), on('beyond', 0, window + 1000), on('caught', 0, 50 * MINUTE), on('on-time', 0)];
    const v = judgeSoak(['caught', 'on-time'], truth, window);
    expect(v.missing).toEqual(['in']);
    expect(v.beyondCatchWindow).toEqual(['beyond']);
    expect(v.lateArrivals).toBe(3);
    expect(v.lateArrivalsPublished).toBe(1);
  });

  it('an activity shown beyond the window but published is neither missing nor counted apart', () => {
    const v = judgeSoak(['late'], [on('late', 0, 2 * window)], window);
    expect(v.missing).toEqual([]);
    expect(v.beyondCatchWindow).toEqual([]);
    expect(v.lateArrivalsPublished).toBe(1);
  });
});

// The world of the failing soak (seed 17): start 2 h before 08:11:45.336, end 13 minutes after it.
describe("the soak's ground-truth window", () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  const startedAt = Date.parse('2026-11-30T08:11:45.336Z');
  const soakWorld = (start: number) =>
    startSimulator({
      seed: 17,
      leads: 2_000,
      activities: 16_500,
      start: new Date(start).toISOString(),
      end: new Date(startedAt + 13 * MINUTE).toISOString(),
      now: new Date(startedAt + 3 * MINUTE).toISOString(),
      clock: 'frozen',
      lateArrivalRate: 0.03,
      deletedLeadRate: 0.05,
      quirks: { shortPageRate: 0, emptyPageRate: 0 },
    });
  /** The first page the service is served from its start date (Marketo takes whole seconds). */
  const firstPage = async (s: Simulator, start: number): Promise<string[]> => {
    const c = simClient(s);
    const since = formatMarketoDate(start);
    const token = (await c.get(`/rest/v1/activities/pagingtoken.json?sinceDatetime=${since}`)).json.nextPageToken;
    const page = (await c.get(`/rest/v1/activities.json?activityTypeIds=11,12&nextPageToken=${token}`)).json;
    return page.result.map((a: { marketoGUID: string }) => a.marketoGUID);
  };
  const truthFrom = (s: Simulator, start: number) =>
    new Set([...s.truth.activities({ typeIds: [11, 12], from: start })].map((a) => a.marketoGUID));

  it('a start with milliseconds: the service is served activities of its first second the truth leaves out', async () => {
    const start = startedAt - 120 * MINUTE;
    sim = await soakWorld(start);
    const truth = truthFrom(sim, start);
    const served = await firstPage(sim, start);
    const outside = served.filter((g) => !truth.has(g));
    expect(outside).toEqual(['21cdaca4-dfe1-4fa7-8301-000000000000', 'dc669c65-39db-4481-a402-0000000005cc']);
  });

  it('a whole-second start (what the soak uses): everything served is in the truth', async () => {
    const start = Math.floor((startedAt - 120 * MINUTE) / 1000) * 1000;
    sim = await soakWorld(start);
    const truth = truthFrom(sim, start);
    const served = await firstPage(sim, start);
    expect(served.length).toBeGreaterThan(100);
    expect(served.filter((g) => !truth.has(g))).toEqual([]);
  });
});
