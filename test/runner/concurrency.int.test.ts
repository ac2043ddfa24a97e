import { describe, expect, it, vi } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { consumeAll, duplicatesOf, expectTrackedActivitiesExactlyOnce, latestByKey } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

describe("a connection's streams", () => {
  it('run side by side: leads, programs and campaigns are committed while the activities backfill still runs, and every topic holds each record once', {
    timeout: 240_000,
  }, async () => {
    const { sim, config, topics, runUntilCaughtUp } = await startScenario({
      // Real time: the simulator answers each call after a realistic, long-tailed delay.
      world: {
        seed: 31,
        leads: 400,
        activities: 12_000,
        programs: 30,
        campaigns: 30,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-31T00:00:00Z',
        now: '2026-04-01T00:00:00Z',
        latency: { medianMs: 60, p99Ms: 400 },
        // Many short and empty pages: many calls for few records, so the backfill outlasts the other streams' first pages.
        quirks: { emptyPageRate: 0.3, shortPageRate: 0.4 },
      },
      // Leads are created from a year before the world's start: begin before that, so every lead is
      // in scope. Slow pacing (1 call a second after the first 20) keeps the activities backfill long.
      config: { connection: { startDate: '2024-12-01T00:00:00Z', ratePer20s: 20 } },
    });
    const instance = config.connections[0]!.instance;
    const truthActivities = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: '2024-12-01T00:00:00Z' })];
    let finished = false;
    const run = runUntilCaughtUp().finally(() => {
      finished = true;
    });

    // Leads (by activity, by change, tombstones), programs and campaigns arrive while activities still page.
    await vi.waitFor(
      async () => {
        expect(finished, 'the run finished before the other streams were seen').toBe(false);
        const [leads, programs, campaigns] = await Promise.all([
          consumeAll(topics.leads),
          consumeAll(topics.programs),
          consumeAll(topics.campaigns),
        ]);
        expect(leads.length).toBeGreaterThan(0);
        expect(programs.length).toBeGreaterThan(0);
        expect(campaigns.length).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 250 },
    );
    const activitiesMeanwhile = (await consumeAll(topics.activities)).length;
    expect(finished).toBe(false);
    expect(activitiesMeanwhile).toBeLessThan(truthActivities.length / 2);

    await run;
    // Exactly once, through one transactional producer shared by every stream of the connection.
    const activities = await expectTrackedActivitiesExactlyOnce(sim, config);
    // Both activity groups (20 tracked types, ≤ 10 a call) published.
    const groups = new Set(activities.map((r) => r.headers.mkto_stream ?? ''));
    expect([...groups].filter((g) => g.startsWith('activities.'))).toHaveLength(2);
    const programs = await consumeAll(topics.programs);
    const campaigns = await consumeAll(topics.campaigns);
    expect(duplicatesOf(programs.map((r) => r.id))).toEqual([]);
    expect(duplicatesOf(campaigns.map((r) => r.id))).toEqual([]);
    expect(latestByKey(programs).size).toBe(sim.truth.programs().length);
    expect(latestByKey(campaigns).size).toBe(sim.truth.campaigns().length);
    const leads = await consumeAll(topics.leads);
    const tombstones = leads.filter((r) => r.value === null);
    expect(duplicatesOf(tombstones.map((r) => r.id))).toEqual([]);
    const latest = latestByKey(leads);
    const truthLeads = [...sim.truth.leads({ fields: ['id'] })];
    for (const lead of truthLeads) {
      expect(latest.get(`${instance}:${lead.id}`)?.value, `lead ${lead.id}`).toBeTruthy();
    }
    expect(latest.size).toBe(truthLeads.length + sim.truth.deletedLeadIds().length + sim.truth.mergedLeadIds().length);
  });
});
