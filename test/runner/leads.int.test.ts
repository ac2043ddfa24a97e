import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { LEAD_FIELDS, MARKETO_DATA_TYPES } from '../../simulator/index.ts';
import type { Config } from '../../src/config/index.ts';
import { ErrorCodes, hasCode } from '../../src/errors.ts';
import { leadAvroType, valueKindOf } from '../../src/schemas/lead.ts';
import { valueSubject } from '../../src/schemas/registry.ts';
import { runService } from '../../src/service.ts';
import { consumeAll, latestByKey, testLogger, testRegistry, topicsOf } from '../support/pipeline.ts';
import { useScenario } from '../support/scenario.ts';

const startScenario = useScenario();

const DAY = 86_400_000;

/** What a leads.json value becomes on the topic, by the field's Marketo data type. */
function expected(dataType: string, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (valueKindOf(leadAvroType(dataType))) {
    case 'date':
      return Date.parse(`${value as string}T00:00:00Z`) / DAY;
    case 'timestamp':
      return Date.parse(value as string);
    case 'string':
      return String(value);
    default:
      return value;
  }
}

async function registryVersions(subject: string): Promise<number[]> {
  const res = await fetch(`${process.env.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`);
  return (await res.json()) as number[];
}

async function registrySchema(subject: string, version: number): Promise<object> {
  const res = await fetch(
    `${process.env.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions/${version}`,
  );
  return JSON.parse(((await res.json()) as { schema: string }).schema) as object;
}

describe('leads', () => {
  it('publish the latest state of every lead with the configured fields of every data type, and tombstones for deletions and merges', async () => {
    const fields = LEAD_FIELDS.map((f) => f.name);
    const { sim, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-04-01T00:00:00Z',
      world: {
        seed: 5,
        leads: 700,
        activities: 6_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-31T00:00:00Z',
        now: '2026-04-01T00:00:00Z',
        // Half of the leads that go are merged away (a Merge Leads activity on the winner) rather than deleted.
        deletedLeadRate: 0.08,
      },
      // Leads are created from a year before the world's start: begin before that, so every lead is in scope.
      config: { connection: { startDate: '2024-12-01T00:00:00Z', leadFields: fields } },
    });
    const instance = config.connections[0]!.instance;
    const result = await runUntilCaughtUp();
    expect(Object.values(result)[0]?.error).toBeUndefined();

    const truth = [...sim.truth.leads({ fields })];
    const deleted = sim.truth.deletedLeadIds();
    const merged = sim.truth.mergedLeadIds();
    expect(truth.length).toBeGreaterThan(500);
    expect(deleted.length).toBeGreaterThan(10);
    expect(merged.length).toBeGreaterThan(10);
    // Every data type is exercised.
    const types = new Set(LEAD_FIELDS.map((f) => f.dataType));
    for (const t of MARKETO_DATA_TYPES) {
      expect(types).toContain(t);
    }

    const latest = latestByKey(await consumeAll(topicsOf(config).leads));
    const registry = testRegistry();
    const live = [...latest.values()].filter((r) => r.value !== null);
    expect(live.length).toBe(truth.length);
    for (const lead of truth) {
      const record = latest.get(`${instance}:${lead.id}`);
      expect(record?.value, `lead ${lead.id}`).toBeTruthy();
      const value = (await registry.decode(record!.value!)) as Record<string, unknown>;
      expect(value.id).toBe(lead.id);
      for (const f of LEAD_FIELDS) {
        if (f.name === 'id') continue;
        expect(value[f.name], `lead ${lead.id} field ${f.name}`).toEqual(expected(f.dataType, lead[f.name]));
      }
    }
    for (const id of deleted) {
      const record = latest.get(`${instance}:${id}`);
      expect(record, `deleted lead ${id}`).toBeDefined();
      expect(record!.value).toBeNull();
    }
    for (const id of merged) {
      const record = latest.get(`${instance}:${id}`);
      expect(record, `merged-away lead ${id}`).toBeDefined();
      expect(record!.value, `merged-away lead ${id}`).toBeNull();
    }
    expect(latest.size).toBe(truth.length + deleted.length + merged.length);

    const gone = deleted.length + merged.length;
    const leadCalls = sim.counts().byEndpoint['/rest/v1/leads.json']?.requests ?? 0;
    expect(leadCalls).toBeLessThanOrEqual(Math.ceil((4 * (truth.length + gone)) / 1000) + 2);
  });

  it('give a new schema version when a field is added, which a consumer built on the old version still decodes', async () => {
    const before = ['email', 'firstName', 'updatedAt'];
    const { clock, config, runUntilCaughtUp } = await startScenario({
      fakeClockAt: '2026-02-01T00:00:00Z',
      world: {
        seed: 8,
        leads: 300,
        activities: 6_000,
        start: '2026-01-01T00:00:00Z',
        end: '2026-03-01T00:00:00Z',
        now: '2026-02-01T00:00:00Z',
      },
      config: { connection: { leadFields: before } },
    });
    await runUntilCaughtUp();
    const subject = valueSubject(topicsOf(config).leads);
    expect(await registryVersions(subject)).toHaveLength(1);
    const firstCount = (await consumeAll(topicsOf(config).leads)).length;

    clock!.advance(3 * DAY);
    const added: Readonly<Config> = {
      ...config,
      connections: [{ ...config.connections[0]!, leadFields: [...before, 'Foo__c', 'dealSize__c'] }],
    };
    await runUntilCaughtUp(added);
    const versions = await registryVersions(subject);
    expect(versions).toHaveLength(2);

    const reader = avro.Type.forSchema((await registrySchema(subject, versions[0]!)) as avro.Schema);
    const writerSchema = await registrySchema(subject, versions[1]!);
    const writer = avro.Type.forSchema(writerSchema as avro.Schema);
    const resolver = reader.createResolver(writer);
    expect((writerSchema as { fields: { name: string }[] }).fields.map((f) => f.name)).toContain('Foo__c');

    const all = await consumeAll(topicsOf(config).leads);
    const fresh = all.slice(0).filter((r) => r.value !== null);
    expect(all.length).toBeGreaterThan(firstCount);
    const registry = testRegistry();
    let newVersionRecords = 0;
    let withFoo = 0;
    for (const r of fresh) {
      const body = r.value!.subarray(5);
      const decodedNew = (await registry.decode(r.value!)) as Record<string, unknown>;
      if (!('Foo__c' in decodedNew)) continue;
      newVersionRecords++;
      if (decodedNew.Foo__c !== null) withFoo++;
      const old = reader.fromBuffer(body, resolver) as Record<string, unknown>;
      expect(old.id).toBe(decodedNew.id);
      expect(old.email).toBe(decodedNew.email);
      expect(old).not.toHaveProperty('Foo__c');
    }
    expect(newVersionRecords).toBeGreaterThan(0);
    expect(withFoo).toBeGreaterThan(0);
  });

  it('refuse an unknown configured field, naming it and the closest existing names', async () => {
    const { clock, config } = await startScenario({
      fakeClockAt: '2026-02-01T00:00:00Z',
      world: { seed: 2, leads: 50, activities: 500, start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' },
      config: { connection: { leadFields: ['email', 'foo__c'] } },
    });
    const result = await runService({
      config,
      logger: testLogger(),
      signal: new AbortController().signal,
      clock,
      untilCaughtUp: true,
    });
    const error = Object.values(result)[0]?.error;
    expect(hasCode(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect(error?.message).toContain('"foo__c"');
    expect(error?.message).toContain('"Foo__c"');
  });
});
