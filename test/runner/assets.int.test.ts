import { describe, expect, it } from 'vitest';
import { parseMarketoDate } from '../../src/marketo/index.ts';
import { type ConsumedRecord, consumeAll, duplicatesOf, testRegistry } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

const DAY = 86_400_000;

/** The decoded last record of every key (a compacted topic's view). */
async function latestValues(records: readonly ConsumedRecord[]): Promise<Map<string, Record<string, unknown>>> {
  const registry = testRegistry();
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of records) latest.set(r.key, (await registry.decode(r.value!)) as Record<string, unknown>);
  return latest;
}

/** Asserts that the topic's latest value per key equals the simulator's assets, field by field. */
async function expectEqualToTruth(
  topic: string,
  instance: string,
  truth: Record<string, unknown>[],
  fields: string[],
): Promise<ConsumedRecord[]> {
  const records = await consumeAll(topic);
  const latest = await latestValues(records);
  expect([...latest.keys()].sort()).toEqual(truth.map((a) => `${instance}:${a.id}`).sort());
  for (const asset of truth) {
    const got = latest.get(`${instance}:${asset.id}`)!;
    expect(got.createdAt).toBe(parseMarketoDate(asset.createdAt as string));
    expect(got.updatedAt, `asset ${asset.id} updatedAt`).toBe(parseMarketoDate(asset.updatedAt as string));
    for (const f of fields) expect(got[f], `asset ${asset.id} ${f}`).toEqual(asset[f]);
  }
  return records;
}

describe('programs and smart campaigns', () => {
  it('equal the ground truth after a backfill, and again after the world has updated them', async () => {
    const { sim, clock, config, topics, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-02-01T00:00:00Z',
      world: {
        seed: 31,
        leads: 100,
        activities: 1_000,
        programs: 400,
        campaigns: 300,
        start: '2026-01-01T00:00:00Z',
        end: '2026-06-01T00:00:00Z',
        now: '2026-02-01T00:00:00Z',
      },
      config: { connection: { leadFields: ['email'] } },
    });
    const instance = config.connections[0]!.instance;
    const programFields = ['id', 'name', 'description', 'url', 'type', 'channel', 'status', 'workspace', 'headStart'];
    const campaignFields = [
      'id',
      'name',
      'status',
      'type',
      'isActive',
      'isRequestable',
      'smartListId',
      'flowId',
      'parentProgramId',
      'computedUrl',
    ];

    await runUntilCaughtUp();
    const programsBefore = sim.truth.programs();
    expect(programsBefore.length).toBeGreaterThan(200); // more than one page of 200
    expect(String(programsBefore[0]!.updatedAt)).toMatch(/Z\+0000$/);
    await expectEqualToTruth(topics.programs, instance, programsBefore, programFields);
    await expectEqualToTruth(topics.campaigns, instance, sim.truth.campaigns(), campaignFields);
    const folder = (await latestValues(await consumeAll(topics.programs))).get(
      `${instance}:${programsBefore[0]!.id}`,
    )!.folder;
    expect(folder).toEqual({
      type: 'Folder',
      value: (programsBefore[0]!.folder as { value: number }).value,
      folderName: 'Marketing Activities',
    });

    // The world goes on: new programs and campaigns, and updates to existing ones.
    clock!.advance(40 * DAY);
    const updated = sim.truth.programs().filter((p) => {
      const old = programsBefore.find((b) => b.id === p.id);
      return old !== undefined && old.updatedAt !== p.updatedAt;
    });
    expect(updated.length).toBeGreaterThan(0);
    expect(sim.truth.programs().length).toBeGreaterThan(programsBefore.length);
    sim.resetCounts();
    await runUntilCaughtUp();
    const programs = await expectEqualToTruth(topics.programs, instance, sim.truth.programs(), programFields);
    const campaigns = await expectEqualToTruth(topics.campaigns, instance, sim.truth.campaigns(), campaignFields);
    // Incremental: the second pass asked only for the recent window, and published each version once.
    expect(duplicatesOf(programs.map((r) => r.id))).toEqual([]);
    expect(duplicatesOf(campaigns.map((r) => r.id))).toEqual([]);
    expect(programs.length).toBeLessThan(programsBefore.length + sim.truth.programs().length);
    expect(sim.counts().byEndpoint['/rest/asset/v1/programs.json']?.requests).toBeLessThanOrEqual(2);
  });
});
