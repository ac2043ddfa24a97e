import { describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../simulator/index.ts';
import { BYTES_PER_MB } from '../../src/bulk/index.ts';
import type { Config } from '../../src/config/index.ts';
import type { ActivitiesCursor } from '../../src/streams/activities.ts';
import { committedCursors, comparable } from '../support/backfill-compare.ts';
import { consumeAll, expectTrackedActivitiesExactlyOnce, topicsOf } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const NOW = '2026-03-10T12:00:00Z';
const HANDOVER = '2026-03-10T00:00:00Z';
const DAY = 86_400_000;

/** A dense history (Jan 1 → Mar 10 noon): 31-day windows per group up to Mar 10 (the last of 6 days), then REST. */
const denseWorld: Omit<SimulatorOptions, 'clock'> = {
  seed: 21,
  leads: 400,
  activities: 24_000,
  start: '2026-01-01T00:00:00Z',
  end: NOW,
  now: NOW,
  numericGuids: true,
  limits: { ratePer20s: false },
};

/** The last committed cursor of each activity group. */
const activityCursors = (config: Readonly<Config>) => committedCursors<ActivitiesCursor>(config, 'activities.');

describe('activity backfill through Bulk Extract', () => {
  it('bulk: complete windows by bulk jobs, REST from the handover; exactly once and the same records as REST', async () => {
    const s = await startScenario({
      fakeClockAt: NOW,
      world: denseWorld,
      config: { backfill: { method: 'bulk' } },
    });
    await s.runUntilCaughtUp();
    const got = await expectTrackedActivitiesExactlyOnce(s.sim, s.config);

    // Per group: a one-day calibration window, then 31-day windows, the last one ending at the
    // handover (the start of today); one job each, covering the history without a gap.
    const jobs = s.sim.bulk.jobs().filter((j) => j.kind === 'activities');
    const windowsOf = (types: readonly number[]) =>
      jobs
        .filter((j) => j.activityTypeIds?.join() === types.join())
        .map((j) => `${j.window.startAt} … ${j.window.endAt}`);
    const groups = [...new Set(jobs.map((j) => j.activityTypeIds!.join()))];
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(windowsOf(g.split(',').map(Number))).toEqual([
        '2026-01-01T00:00:00Z … 2026-01-02T00:00:00Z',
        '2026-01-02T00:00:00Z … 2026-02-02T00:00:00Z',
        '2026-02-02T00:00:00Z … 2026-03-05T00:00:00Z',
        '2026-03-05T00:00:00Z … 2026-03-10T00:00:00Z',
      ]);
    }
    const cursors = [...(await activityCursors(s.config)).values()];
    expect(cursors).toHaveLength(2);
    for (const c of cursors) {
      expect(c.bulk).toMatchObject({
        finished: true,
        handoverAt: '2026-03-10T00:00:00Z',
        windowsDone: 4,
        windowsTotal: 4,
        bulkWindows: 4,
        restWindows: 0,
      });
      expect(c.bulk!.exportedBytes).toBeGreaterThan(0);
      expect(c.phase).toBe('incremental');
    }
    // Marketo calls: a handful per job, far below REST's page per 300 for the bulk windows.
    // The file of each job is read in one request (a page at a time).
    expect(s.sim.counts().byEndpoint['/bulk/v1/activities/export/{exportId}/file.json']?.requests).toBe(8);
    const bulkCalls = cursors.reduce((n, c) => n + c.bulk!.calls, 0);
    const bulkRows = got.filter((r) => Date.parse(r.headers.ce_time!) < Date.parse('2026-03-10T00:00:00Z')).length;
    expect(bulkCalls).toBeLessThan(bulkRows / 300);

    // The same world through REST only: the same records, key, headers and value (but the pull time).
    const rest = s.configWith({ backfill: { method: 'rest' } });
    await s.runUntilCaughtUp(rest);
    const viaRest = await comparable(await consumeAll(topicsOf(rest).activities), rest);
    const viaBulk = await comparable(got, s.config);
    expect(viaBulk.size).toBe(viaRest.size);
    for (const [id, record] of viaRest) expect(viaBulk.get(id), id).toEqual(record);
  }, 240_000);

  it('auto: dense windows go through bulk, a sparse history through REST', async () => {
    const dense = await startScenario({
      fakeClockAt: NOW,
      world: denseWorld,
      config: { backfill: { method: 'auto' } },
    });
    await dense.runUntilCaughtUp();
    await expectTrackedActivitiesExactlyOnce(dense.sim, dense.config);
    // Per group, by its density: a dense group goes through bulk (a calibration day first), the
    // sparse one (and a short last window, if sparse enough) through REST.
    let bulkWindows = 0;
    for (const c of (await activityCursors(dense.config)).values()) {
      expect(c.bulk!.finished).toBe(true);
      expect(c.bulk!.bulkWindows + c.bulk!.restWindows).toBe(c.bulk!.windowsDone);
      bulkWindows += c.bulk!.bulkWindows;
    }
    expect(bulkWindows).toBeGreaterThanOrEqual(2);
    expect(dense.sim.bulk.jobs()).toHaveLength(bulkWindows);
    const restOnly = [...(await activityCursors(dense.config)).values()].filter((c) => c.bulk!.bulkWindows === 0);
    expect(restOnly).toHaveLength(1);

    const sparse = await startScenario({
      fakeClockAt: NOW,
      world: { ...denseWorld, seed: 22, activities: 1_500 },
      config: { backfill: { method: 'auto' } },
    });
    await sparse.runUntilCaughtUp();
    await expectTrackedActivitiesExactlyOnce(sparse.sim, sparse.config);
    expect(sparse.sim.bulk.jobs()).toHaveLength(0);
    for (const c of (await activityCursors(sparse.config)).values()) {
      expect(c.bulk).toMatchObject({ finished: true, windowsDone: 3, bulkWindows: 0, restWindows: 3 });
    }
  }, 240_000);

  it('export budget spent: windows go through REST within BACKFILL_REST_SHARE', async () => {
    const s = await startScenario({
      fakeClockAt: NOW,
      world: denseWorld,
      config: { backfill: { method: 'bulk', restShare: 1 }, bulk: { dailyMb: 0.001, reserveMb: 0 } },
    });
    await s.runUntilCaughtUp();
    await expectTrackedActivitiesExactlyOnce(s.sim, s.config);
    // A 1 KB budget: only a short calibration export or two fit (a file that held no row tells
    // nothing, so the next window is probed again), never a whole window's; every window the
    // budget holds back is read through REST whole (31 days), not in budget-sized pieces.
    const cursors = [...(await activityCursors(s.config)).values()];
    expect(cursors).toHaveLength(2);
    const activityJobs = s.sim.bulk.jobs().filter((j) => j.kind === 'activities');
    expect(activityJobs.length).toBeGreaterThan(0);
    expect(activityJobs.length).toBeLessThanOrEqual(cursors.length + 1);
    for (const job of activityJobs) {
      expect(Date.parse(job.window.endAt) - Date.parse(job.window.startAt)).toBeLessThanOrEqual(DAY);
      expect(job.fileSize ?? 0).toBeLessThanOrEqual(0.001 * BYTES_PER_MB);
    }
    // The history's three 31-day windows (the last one shorter), plus the calibration exports.
    const fullWindows = Math.ceil((Date.parse(HANDOVER) - Date.parse(denseWorld.start!)) / (31 * DAY));
    for (const c of cursors) {
      expect(c.bulk!.finished).toBe(true);
      expect(c.bulk!.bulkWindows + c.bulk!.restWindows).toBe(c.bulk!.windowsDone);
      expect(c.bulk!.restWindows).toBe(fullWindows);
      expect(c.bulk!.restFallback!.calls).toBeGreaterThan(0);
    }
  }, 120_000);
});
