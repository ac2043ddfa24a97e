import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Simulator, SimulatorOptions } from '../../simulator/index.ts';
import type { Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { STREAM_HEADER } from '../../src/schemas/index.ts';
import { runService } from '../../src/service.ts';
import { exportInstant } from '../../src/streams/backfill-plan.ts';
import { LEADS_PER_CALL } from '../../src/streams/leads.ts';
import { LEADS_BY_ACTIVITY_STREAM } from '../../src/streams/leads-by-activity.ts';
import type { LeadChangesCursor } from '../../src/streams/leads-changes.ts';
import { committedCursors, comparable } from '../support/backfill-compare.ts';
import { type ConsumedRecord, consumeAll, duplicatesOf, topicsOf } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const START = '2026-01-01T00:00:00Z';
const NOW = '2026-03-10T12:00:00Z';
const HANDOVER = '2026-03-10T00:00:00Z';

/** 900 leads: 30 % created in the year before the start, the rest spread to now. */
const world: Omit<SimulatorOptions, 'clock'> = {
  seed: 41,
  leads: 900,
  activities: 6_000,
  start: START,
  end: NOW,
  now: NOW,
  limits: { ratePer20s: false },
};

/** A field of each Marketo data type the simulator has (text with quotes and newlines, numbers, booleans, dates). */
const LEAD_FIELDS = [
  'email',
  'firstName',
  'createdAt',
  'updatedAt',
  'numberOfEmployees',
  'annualRevenue',
  'unsubscribed',
  'notes__c',
  'engagementRatio__c',
  'dealSize__c',
  'discountRate__c',
  'leadScore__c',
  'isCustomer__c',
  'lastDemoDate__c',
  'lastEngagedAt__c',
  'parentAccountId__c',
];

const leadsStream = (records: readonly ConsumedRecord[]) =>
  records.filter((r) => r.headers[STREAM_HEADER] === 'leads.changes');

/** Ids of the leads that exist now and were created from `from` (the start date) up to `until` (inclusive). */
function createdLeadIds(sim: Simulator, until: string, from = START): Set<number> {
  const ids = new Set<number>();
  for (const lead of sim.truth.leads({ fields: ['id', 'createdAt'] })) {
    const created = Date.parse(String(lead.createdAt));
    if (created >= Date.parse(from) && created <= Date.parse(until)) ids.add(Number(lead.id));
  }
  return ids;
}

/** The oldest createdAt among the leads that exist now (ISO). */
function oldestLeadCreatedAt(sim: Simulator): string {
  let oldest = Number.POSITIVE_INFINITY;
  for (const lead of sim.truth.leads({ fields: ['createdAt'] }))
    oldest = Math.min(oldest, Date.parse(String(lead.createdAt)));
  return new Date(oldest).toISOString();
}

const withoutStreamHeader = (r: ConsumedRecord): ConsumedRecord => {
  const { [STREAM_HEADER]: _stream, ...headers } = r.headers;
  return { ...r, headers };
};

const leadsByIdCalls = (sim: Simulator) => sim.counts().byEndpoint['/rest/v1/leads.json']?.requests ?? 0;

const leadIdOf = (r: ConsumedRecord) => Number(r.key.split(':').at(-1));

async function leadCursor(config: Readonly<Config>): Promise<LeadChangesCursor> {
  const cursors = await committedCursors<LeadChangesCursor>(config, 'leads.changes');
  expect(cursors.size).toBe(1);
  return [...cursors.values()][0]!;
}

describe('bulk lead snapshot', () => {
  it('bulk: every lead created before the handover comes from lead exports, once, the same record as REST publishes', async () => {
    const s = await startScenario({
      fakeClockAt: NOW,
      world,
      config: {
        backfill: { method: 'bulk', leadSnapshotSince: 'start-date' },
        connection: { streams: ['leads'], leadFields: LEAD_FIELDS },
      },
    });
    await s.runUntilCaughtUp();

    // A one-day calibration window, then 31-day windows up to the handover; one lead export each.
    const jobs = s.sim.bulk.jobs().filter((j) => j.kind === 'leads');
    expect(jobs.map((j) => `${j.window.startAt} … ${j.window.endAt}`)).toEqual([
      '2026-01-01T00:00:00Z … 2026-01-02T00:00:00Z',
      '2026-01-02T00:00:00Z … 2026-02-02T00:00:00Z',
      '2026-02-02T00:00:00Z … 2026-03-05T00:00:00Z',
      '2026-03-05T00:00:00Z … 2026-03-10T00:00:00Z',
    ]);
    const cursor = await leadCursor(s.config);
    expect(cursor.bulk).toMatchObject({ finished: true, handoverAt: HANDOVER, bulkWindows: 4, restWindows: 0 });
    expect(cursor.phase).toBe('incremental');
    // The change pages start at the handover, not at the start date.
    expect(cursor.sinceDate >= HANDOVER).toBe(true);

    // Every lead created in the history exactly once; the files' rows sum up to them.
    const got = leadsStream(await consumeAll(topicsOf(s.config).leads));
    expect(duplicatesOf(got.map((r) => r.id))).toEqual([]);
    const snapshotIds = createdLeadIds(s.sim, HANDOVER);
    const published = new Set(got.map(leadIdOf));
    for (const id of snapshotIds) expect(published.has(id), `lead ${id}`).toBe(true);
    expect(jobs.reduce((n, j) => n + (j.numberOfRecords ?? 0), 0)).toBeGreaterThanOrEqual(snapshotIds.size);
    // By id, only the leads created today (after the handover): one leads.json call, not one per 300 leads.
    expect(s.sim.counts().byEndpoint['/rest/v1/leads.json']?.requests ?? 0).toBeLessThanOrEqual(1);
    // A handful of calls per export (create, enqueue, a poll or two, the file).
    expect(cursor.bulk!.calls).toBeLessThanOrEqual(7 * jobs.length);

    // The same world through REST only: every lead the snapshot published is the same record
    // (key, headers, value but the pull time) as leads.changes publishes after fetching it by id.
    const rest = s.configWith({
      backfill: { method: 'rest' },
      connection: { streams: ['leads'], leadFields: LEAD_FIELDS },
    });
    await s.runUntilCaughtUp(rest);
    expect(s.sim.bulk.jobs().filter((j) => j.kind === 'leads')).toHaveLength(jobs.length);
    const viaRest = await comparable(leadsStream(await consumeAll(topicsOf(rest).leads)), rest);
    const viaBulk = await comparable(got, s.config);
    expect(viaBulk.size).toBe(got.length);
    for (const [id, record] of viaBulk) expect(record, id).toEqual(viaRest.get(id));
  }, 240_000);

  it('LEAD_SNAPSHOT_SINCE=earliest (the default): the leads created before the start date come from lead exports, not by id, the same records', async () => {
    // Activities touch leads of the year before the start: with `start-date` those are fetched by id.
    const s = await startScenario({
      fakeClockAt: NOW,
      world: { ...world, seed: 43, leads: 2_400, activities: 12_000 },
      config: {
        backfill: { method: 'bulk', leadSnapshotSince: 'start-date' },
        connection: { leadFields: LEAD_FIELDS },
      },
    });
    await s.runUntilCaughtUp();
    const byIdDefault = leadsByIdCalls(s.sim);
    const before = createdLeadIds(s.sim, START, '1970-01-01T00:00:00Z');
    const byId = (await consumeAll(topicsOf(s.config).leads)).filter(
      (r) => r.value !== null && r.headers[STREAM_HEADER] === LEADS_BY_ACTIVITY_STREAM && before.has(leadIdOf(r)),
    );
    expect(byId.length).toBeGreaterThan(LEADS_PER_CALL);
    const defaultJobs = s.sim.bulk.jobs().length;

    s.sim.resetCounts();
    // The default setting.
    const earliest = s.configWith({
      backfill: { method: 'bulk' },
      connection: { leadFields: LEAD_FIELDS },
    });
    await s.runUntilCaughtUp(earliest);

    // The snapshot's first window opens at the oldest lead's creation (one day, to calibrate).
    const leadJobs = s.sim.bulk
      .jobs()
      .slice(defaultJobs)
      .filter((j) => j.kind === 'leads');
    const oldest = oldestLeadCreatedAt(s.sim);
    expect(leadJobs[0]?.window.startAt).toBe(exportInstant(Date.parse(oldest)));
    expect(leadJobs.at(-1)?.window.endAt).toBe(HANDOVER);
    const cursor = await leadCursor(earliest);
    expect(cursor.bulk).toMatchObject({ finished: true, handoverAt: HANDOVER, restWindows: 0 });
    expect(cursor.bulk!.bulkWindows).toBe(leadJobs.length);

    // Every lead created before the handover, the year before the start included, once from the snapshot.
    const got = await consumeAll(topicsOf(earliest).leads);
    const snapshot = leadsStream(got);
    expect(duplicatesOf(snapshot.map((r) => r.id))).toEqual([]);
    const fromSnapshot = new Set(snapshot.map(leadIdOf));
    for (const id of createdLeadIds(s.sim, HANDOVER, oldest)) expect(fromSnapshot.has(id), `lead ${id}`).toBe(true);
    // None of them is fetched by id for an activity; leads.json calls left: `earliest`'s, and the
    // ids no file holds (today's leads, leads gone before their export).
    const byIdNow = got.filter((r) => r.headers[STREAM_HEADER] === LEADS_BY_ACTIVITY_STREAM && before.has(leadIdOf(r)));
    expect(byIdNow).toEqual([]);
    expect(byIdDefault).toBeGreaterThanOrEqual(Math.ceil(byId.length / LEADS_PER_CALL));
    expect(leadsByIdCalls(s.sim)).toBeLessThan(byIdDefault);

    // The snapshot's record of a lead created before the start is the one the default fetched by id
    // (but for the stream header, which names the publishing stream).
    const viaId = await comparable(byId.map(withoutStreamHeader), s.config);
    const viaSnapshot = await comparable(
      snapshot.filter((r) => before.has(leadIdOf(r))).map(withoutStreamHeader),
      earliest,
    );
    const shared = [...viaId.keys()].filter((id) => viaSnapshot.has(id));
    expect(shared.length).toBeGreaterThan(byId.length / 2);
    for (const id of shared) expect(viaSnapshot.get(id), id).toEqual(viaId.get(id));
  }, 300_000);

  it('an instance that refuses the createdAt filter (1035): one warning, the snapshot goes through REST, the same leads', async () => {
    const s = await startScenario({
      fakeClockAt: NOW,
      world,
      config: {
        backfill: { method: 'bulk', leadSnapshotSince: 'start-date' },
        connection: { streams: ['leads'], leadFields: LEAD_FIELDS },
      },
    });
    s.sim.bulk.refuseLeadFilter('createdAt');
    const warnings: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        warnings.push((JSON.parse(String(chunk)) as { msg: string }).msg);
        done();
      },
    });
    const result = await runService({
      config: s.config,
      logger: createLogger({ level: 'warn', destination }),
      signal: new AbortController().signal,
      clock: s.clock,
      untilCaughtUp: true,
    });
    expect(Object.values(result).map((r) => r.error)).toEqual([undefined]);

    // One create call refused (no job), one warning, every window through REST from there.
    expect(s.sim.bulk.jobs()).toEqual([]);
    expect(s.sim.counts().byEndpoint['/bulk/v1/leads/export/create.json']?.requests).toBe(1);
    expect(warnings.filter((w) => w.includes('1035'))).toHaveLength(1);
    const cursor = await leadCursor(s.config);
    expect(cursor.bulk).toMatchObject({ finished: true, refused: true, bulkWindows: 0, restWindows: 4 });

    const got = leadsStream(await consumeAll(topicsOf(s.config).leads));
    expect(duplicatesOf(got.map((r) => r.id))).toEqual([]);
    const published = new Set(got.map(leadIdOf));
    for (const id of createdLeadIds(s.sim, HANDOVER)) expect(published.has(id), `lead ${id}`).toBe(true);
  }, 240_000);
});
