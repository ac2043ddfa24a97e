import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { parseMarketoDate } from '../../src/marketo/index.ts';
import { planBulkBackfill } from '../../src/streams/backfill-plan.ts';
import { activitySource, BulkBackfill, type BulkPhaseCursor } from '../../src/streams/bulk-backfill.ts';
import { BULK_GROUP, BULK_WINDOW, type BulkRig, startBulkRig } from '../support/bulk-rig.ts';

const logger = createLogger({ level: 'silent' });
const rigs: BulkRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()!.close();
});

describe('bulk backfill: a new job waits for the commit of its own page', () => {
  it('the commit of an earlier page does not let the prefetch enqueue it; a restart from the committed cursor cancels that prefetch', async () => {
    const r = await startBulkRig();
    rigs.push(r);
    const ctx = { clock: r.clock, logger, signal: new AbortController().signal };
    const backfill = new BulkBackfill<BulkPhaseCursor>(
      {
        client: r.client,
        source: activitySource({
          activityTypeIds: BULK_GROUP,
          startDate: BULK_WINDOW.startAt,
          lookbackMs: 0,
          name: 'activities.g1',
        }),
        name: 'activities.g1',
        connection: 'conn-1',
        restShare: 0,
        dailyQuota: 50_000,
        timeZone: 'UTC',
        pollMinMs: 1_000,
      },
      ctx,
    );
    const plan = planBulkBackfill({
      method: 'bulk',
      startDate: BULK_WINDOW.startAt,
      now: r.clock.now(),
      windowDays: 7,
    });
    const committedCursor: BulkPhaseCursor = {
      seq: 0,
      sinceDate: BULK_WINDOW.startAt,
      bulk: plan!,
    } as BulkPhaseCursor;

    const created = await backfill.fetchPage(committedCursor, ctx);
    const exportId = created.cursor.bulk?.job?.exportId;
    expect(exportId).toBeDefined();
    expect(parseMarketoDate(created.cursor.bulk!.job!.window.startAt)).toBe(parseMarketoDate(BULK_WINDOW.startAt));

    // The runner asks for the next page at once; meanwhile the page before finishes its commit.
    const prefetch = backfill.fetchPage(created.cursor, ctx).then(
      () => 'went on',
      (err: Error) => err.message,
    );
    backfill.committed([]);
    // The worker fails before the job's page commits and resumes from the committed cursor.
    const again = await backfill.fetchPage(committedCursor, ctx);
    expect(await prefetch).toMatch(/not committed/);

    const jobs = r.sim.bulk.jobs();
    expect(jobs.find((j) => j.exportId === exportId)?.status).toBe('Created');
    expect(again.cursor.bulk?.job?.exportId).not.toBe(exportId);
  });
});
