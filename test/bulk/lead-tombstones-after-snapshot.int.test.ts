import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { STREAM_HEADER } from '../../src/schemas/index.ts';
import type { LeadTombstoneCursor } from '../../src/streams/lead-tombstones.ts';
import type { LeadChangesCursor } from '../../src/streams/leads-changes.ts';
import { DELETED_LEADS_STREAM } from '../../src/streams/leads-deleted.ts';
import { MERGED_LEADS_STREAM } from '../../src/streams/leads-merged.ts';
import { readWholeTopic } from '../support/committed-reader.ts';
import { type ConsumedRecord, consumeAll, topicsOf } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();
const START = '2026-01-01T00:00:00Z';
const NOW = '2026-03-10T12:00:00Z';
const HANDOVER = '2026-03-10T00:00:00Z';
const DAY = 86_400_000;

const leadIdOf = (r: ConsumedRecord) => Number(r.key.split(':').at(-1));

/** Every committed checkpoint of `stream`, oldest first (one key: one partition, in offset order). */
async function checkpointHistory<C>(config: Readonly<Config>, stream: string): Promise<C[]> {
  const key = `${config.connections[0]!.id}:${stream}`;
  const records = await readWholeTopic(topicsOf(config).checkpoints);
  return records.filter((r) => r.key === key && r.value).map((r) => JSON.parse(r.value!.toString()) as C);
}

describe('deleted and merged leads after a bulk lead snapshot', () => {
  // `earliest`: the snapshot begins a year before the activities' start date; the gate and the
  // handover are the same, and so are the tombstones' guarantees.
  it.each([
    { since: 'start-date', from: START },
    { since: 'earliest', from: '1970-01-01T00:00:00Z' },
  ])(
    'tombstones start at the handover, after the snapshot is committed: no lead deleted or merged after the handover keeps a live record, whether its window was exported before or after (snapshot since $since)',
    async ({ since, from }) => {
      // Leads keep being deleted and merged away for days after the handover, while a small export
      // budget spreads the snapshot over several days: some leads go after their window's export
      // (their record is published, then their tombstone), some before it (never published).
      const s = await startScenario({
        fakeClockAt: NOW,
        world: {
          seed: 43,
          leads: 900,
          activities: 2_000,
          start: START,
          end: new Date(Date.parse(NOW) + 12 * DAY).toISOString(),
          now: NOW,
          deletedLeadRate: 0.4,
          limits: { ratePer20s: false },
        },
        config: {
          backfill: { method: 'bulk', restShare: 0, leadSnapshotSince: since },
          bulk: { dailyMb: 0.005, reserveMb: 0, pollMinSeconds: 60 },
          // Passes every 4 hours: the snapshot waits out several export days, a few passes each.
          incrementIntervalSeconds: 4 * 3600,
          connection: { streams: ['leads'], leadFields: ['email', 'createdAt', 'updatedAt'] },
        },
      });
      await s.runUntilCaughtUp();

      const changes = await checkpointHistory<LeadChangesCursor>(s.config, 'leads.changes');
      const handedOver = changes.find((c) => c.bulk?.finished);
      expect(handedOver?.bulk?.handoverAt).toBe(HANDOVER);
      // The snapshot took several (virtual) days: the budget is the limit.
      expect(Date.parse(handedOver!.updatedAt) - Date.parse(NOW)).toBeGreaterThan(DAY);

      const L = s.sim.world.leads;
      const jobs = s.sim.bulk.jobs().filter((j) => j.kind === 'leads' && j.status === 'Completed');
      // The snapshot began before the start date only with the setting.
      const firstWindow = Math.min(...jobs.map((j) => Date.parse(j.window.startAt)));
      expect(firstWindow < Date.parse(START)).toBe(since === 'earliest');
      const exportOf = (id: number) => {
        const created = L.createdAt[id - 1]!;
        return jobs.find((j) => Date.parse(j.window.startAt) <= created && created <= Date.parse(j.window.endAt));
      };

      for (const stream of [DELETED_LEADS_STREAM, MERGED_LEADS_STREAM]) {
        const history = await checkpointHistory<LeadTombstoneCursor>(s.config, stream);
        // It ran while the snapshot did, and waited: nothing published, no call made.
        const waited = history.filter((c) => c.awaitingSnapshot);
        expect(waited.length, stream).toBeGreaterThan(0);
        expect(waited.every((c) => (c.published ?? 0) === 0 && c.nextPageToken === undefined)).toBe(true);
        // Its first tombstone came after the snapshot's handover checkpoint.
        const first = history.find((c) => (c.published ?? 0) > 0);
        expect(first, stream).toBeDefined();
        expect(Date.parse(first!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(handedOver!.updatedAt));
        expect(history.at(-1)!.awaitingSnapshot).toBeUndefined();
      }

      // The compacted view: the last record of each lead (one key, one partition, offset order).
      const records = await consumeAll(topicsOf(s.config).leads);
      const last = new Map<number, ConsumedRecord>();
      for (const r of records) last.set(leadIdOf(r), r);
      const tombstones = records.filter((r) => r.value === null);
      // No tombstone for a lead gone before the handover: the snapshot never held it.
      expect(tombstones.length).toBeGreaterThan(0);
      for (const t of tombstones)
        expect(Date.parse(t.headers.ce_time!), t.key).toBeGreaterThanOrEqual(Date.parse(HANDOVER));

      // Every lead deleted or merged away up to the tombstone streams' last pass has no live record.
      const lastPass = Math.min(
        ...(await Promise.all(
          [DELETED_LEADS_STREAM, MERGED_LEADS_STREAM].map(async (stream) => {
            const history = await checkpointHistory<LeadTombstoneCursor>(s.config, stream);
            return Date.parse(history.at(-1)!.passStartedAt!);
          }),
        )),
      );
      const gone = [...s.sim.truth.deletedLeadIds(), ...s.sim.truth.mergedLeadIds()].filter(
        (id) => L.deletedAt[id - 1]! <= lastPass - 60_000,
      );
      for (const id of gone) {
        const r = last.get(id);
        if (r) expect(r.value, `lead ${id}: ${r.headers[STREAM_HEADER]}`).toBeNull();
      }

      // Both cases happened, for deletions and merges: a lead exported (and published) before it went,
      // and one gone after the handover but before its window was exported (never published).
      const snapshotted = new Set(
        records.filter((r) => r.value !== null && r.headers[STREAM_HEADER] === 'leads.changes').map(leadIdOf),
      );
      const afterHandover = gone.filter(
        (id) => L.deletedAt[id - 1]! > Date.parse(HANDOVER) && L.createdAt[id - 1]! >= Date.parse(from),
      );
      const exportedThenGone = afterHandover.filter((id) => {
        const job = exportOf(id);
        return job !== undefined && Date.parse(job.createdAt) < L.deletedAt[id - 1]! && snapshotted.has(id);
      });
      const goneThenExported = afterHandover.filter((id) => {
        const job = exportOf(id);
        return job !== undefined && Date.parse(job.createdAt) > L.deletedAt[id - 1]!;
      });
      const merged = (id: number) => L.mergedInto[id - 1]! > 0;
      expect(exportedThenGone.filter(merged).length).toBeGreaterThan(0);
      expect(exportedThenGone.filter((id) => !merged(id)).length).toBeGreaterThan(0);
      expect(goneThenExported.length).toBeGreaterThan(0);
      for (const id of goneThenExported) expect(snapshotted.has(id), `lead ${id}`).toBe(false);
    },
    300_000,
  );
});
