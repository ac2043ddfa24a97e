import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../simulator/index.ts';
import {
  type BulkJobState,
  type BulkWindowPage,
  BYTES_PER_MB,
  ExportBudget,
  newJobState,
  readBulkWindow,
} from '../../src/bulk/index.ts';
import { ErrorCodes } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { MarketoActivity } from '../../src/marketo/index.ts';
import { BULK_GROUP, BULK_WINDOW, type BulkRig, startBulkRig } from '../support/bulk-rig.ts';

const logger = createLogger({ level: 'silent' });
const rigs: BulkRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()!.close();
});

async function rig(options: SimulatorOptions = {}): Promise<BulkRig> {
  const r = await startBulkRig(options);
  rigs.push(r);
  return r;
}

function budgetOf(r: BulkRig, dailyMb = 500): ExportBudget {
  return new ExportBudget({
    redis: r.redis,
    instance: r.instance,
    dailyMb,
    reserveMb: 0,
    maxJobs: 2,
    clock: r.clock,
    logger,
  });
}

function deps(r: BulkRig, budget?: ExportBudget) {
  return { bulk: r.bulk, client: r.client, budget, jobKey: 'conn-1:activities.g1:2026-01-10', clock: r.clock, logger };
}

/** The truth of the window: what activities.json holds for it, in order. */
function truth(r: BulkRig): MarketoActivity[] {
  return [...r.sim.truth.activities({ typeIds: BULK_GROUP, from: BULK_WINDOW.startAt, to: BULK_WINDOW.endAt })];
}

/**
 * Plays a worker that commits each step (rows + state) and dies after `stepsPerLife` steps; its
 * successor starts from the last committed state. Returns every row published, in order.
 */
async function publishWithCrashes(r: BulkRig, stepsPerLife: number, budget?: ExportBudget) {
  let committed: BulkJobState = newJobState('activities', BULK_WINDOW, BULK_GROUP);
  const published: MarketoActivity[] = [];
  let lives = 0;
  while (!committed.done) {
    lives++;
    let steps = 0;
    for await (const step of readBulkWindow(JSON.parse(JSON.stringify(committed)), deps(r, budget))) {
      published.push(...step.activities);
      committed = step.state;
      if (++steps === stepsPerLife) break; // the worker dies right after this commit
    }
  }
  return { published, lives, committed };
}

describe('readBulkWindow against the simulator', () => {
  it('reads a window as pages of 300 with the state to commit, metering the file once', async () => {
    const r = await rig();
    const budget = budgetOf(r);
    const steps: BulkWindowPage[] = [];
    for await (const step of readBulkWindow(newJobState('activities', BULK_WINDOW, BULK_GROUP), deps(r, budget))) {
      steps.push(step);
    }
    const expected = truth(r);
    expect(steps.flatMap((s) => s.activities)).toEqual(expected);
    expect(steps.slice(0, 2).map((s) => [s.activities.length, s.state.status])).toEqual([
      [0, 'Created'],
      [0, 'Completed'],
    ]);
    expect(steps.slice(2, -1).every((s) => s.activities.length === 300)).toBe(true);
    expect(steps.at(-1)!.state).toMatchObject({ done: true, rowsReached: expected.length });
    const [job] = r.sim.bulk.jobs();
    expect(r.sim.bulk.jobs()).toHaveLength(1);
    const status = await budget.status();
    expect(status.usedMb * BYTES_PER_MB).toBeCloseTo(job!.fileSize!, 0);
    expect(status.jobs.inFlight).toBe(0);
  });

  it('a worker killed after every commit resumes the same job each time: every row once, one export', async () => {
    const r = await rig();
    const { published, lives } = await publishWithCrashes(r, 1, budgetOf(r));
    const expected = truth(r);
    expect(lives).toBeGreaterThan(expected.length / 300 + 2);
    expect(published.map((a) => a.marketoGUID)).toEqual(expected.map((a) => a.marketoGUID));
    expect(r.sim.bulk.jobs()).toHaveLength(1);
  });

  it('a file that expires mid-window is exported again once, skipping the rows already published', async () => {
    const r = await rig();
    const expected = truth(r);
    let committed = newJobState('activities', BULK_WINDOW, BULK_GROUP);
    const published: MarketoActivity[] = [];
    let pages = 0;
    for await (const step of readBulkWindow(committed, deps(r))) {
      published.push(...step.activities);
      committed = step.state;
      if (step.activities.length > 0 && ++pages === 2) break;
    }
    r.sim.bulk.expireFiles();
    for await (const step of readBulkWindow(committed, deps(r))) {
      published.push(...step.activities);
      committed = step.state;
    }
    expect(committed).toMatchObject({ done: true, recreations: 1, skipRows: 600 });
    expect(published.map((a) => a.marketoGUID)).toEqual(expected.map((a) => a.marketoGUID));
    expect(r.sim.bulk.jobs().map((j) => j.status)).toEqual(['Completed', 'Completed']);
  });

  it('a failed job is recreated once; a second failure gives the window up', async () => {
    const r = await rig();
    r.sim.bulk.failNextJobs(1);
    const once = await publishWithCrashes(r, Number.POSITIVE_INFINITY);
    expect(once.published.length).toBe(truth(r).length);
    expect(once.committed.recreations).toBe(1);

    r.sim.bulk.failNextJobs(2);
    const steps = readBulkWindow(newJobState('activities', BULK_WINDOW, BULK_GROUP), deps(r));
    const err = await (async () => {
      for await (const _step of steps);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.BULK_JOB_FAILED, message: expect.stringContaining('given up') });
    expect(r.sim.bulk.jobs().map((j) => j.status)).toEqual(['Failed', 'Completed', 'Failed', 'Failed']);
  });

  it('waits, without creating a job, when the export budget or Marketo’s export quota is spent', async () => {
    const r = await rig({ limits: { ratePer20s: false, bulkDailyBytes: 1000 } });
    const tiny = budgetOf(r, 0.0002);
    await tiny.claim('someone-else', 195); // of a budget of 200 bytes: no room for ours
    const first = readBulkWindow(newJobState('activities', BULK_WINDOW, BULK_GROUP), {
      ...deps(r, tiny),
      estimateBytes: 10,
    });
    await expect(first.next()).rejects.toMatchObject({ code: ErrorCodes.BULK_WAIT, retriable: true });
    expect(r.sim.bulk.jobs()).toEqual([]);
    await tiny.release('someone-else');

    // Marketo's own quota (the customer's other exports count too): 1029 on create marks our day spent.
    const budget = budgetOf(r);
    await publishWithCrashes(r, Number.POSITIVE_INFINITY, budget); // this file alone spends the 1000 bytes
    const next = readBulkWindow(
      newJobState('activities', { startAt: '2026-01-17T00:00:00Z', endAt: '2026-01-24T00:00:00Z' }, BULK_GROUP),
      deps(r, budget),
    );
    const err = await next.next().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.BULK_WAIT, marketoCode: '1029' });
    expect(await budget.status()).toMatchObject({ exhausted: true, remainingMb: 0, jobs: { inFlight: 0 } });
  });
});
