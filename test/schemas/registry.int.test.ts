import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import { type ActivityRecord, activitySchema, toActivityRecord } from '../../src/schemas/activity.ts';
import { SchemaCatalog } from '../../src/schemas/registry.ts';
import { uniqueName } from '../stack/helpers.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';

cleanUpAfterFile();

const registryUrl = () => process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

const record: ActivityRecord = toActivityRecord(
  {
    id: 1,
    marketoGUID: 'guid-1',
    leadId: 42,
    activityDate: '2024-03-10T12:34:56Z',
    activityTypeId: 13,
    attributes: [
      { name: 'New Value', value: 'x' },
      { name: 'Count', value: 3 },
      { name: 'Score', value: 0.5 },
      { name: 'Flag', value: false },
      { name: 'Empty', value: null },
    ],
  },
  { typeName: 'Change Data Value', instance: '123-ABC-456', connection: 'conn', pulledAt: 1_700_000_000_000 },
);

/** The wire bytes of `value`, from encodeInto on a buffer grown by what it lacked. */
function wire(catalog: SchemaCatalog, id: number, value: unknown): Buffer {
  let out = Buffer.alloc(256);
  for (;;) {
    const end = catalog.encodeInto(id, value, out, 0);
    if (end >= 0) return out.subarray(0, end);
    out = Buffer.alloc(out.length - end);
  }
}

describe('SchemaCatalog (real registry)', () => {
  let catalog: SchemaCatalog;
  const registry = new SchemaRegistry({ host: registryUrl() });

  beforeAll(() => {
    catalog = new SchemaCatalog({ registry: new SchemaRegistry({ host: registryUrl() }), registryUrl: registryUrl() });
  });

  it('registers under <topic>-value with BACKWARD and caches the id', async () => {
    const topic = uniqueName('schemas-activities');
    const id = await catalog.register(topic, activitySchema);
    expect(await catalog.register(topic, activitySchema)).toBe(id);
    const latest = await fetch(`${registryUrl()}/subjects/${topic}-value/versions/latest`).then((r) => r.json());
    expect(latest).toMatchObject({ id, subject: `${topic}-value` });
    const config = await fetch(`${registryUrl()}/config/${topic}-value`).then((r) => r.json());
    expect(config).toMatchObject({ compatibilityLevel: 'BACKWARD' });
  });

  it('reports an unreachable registry as REGISTRY_UNAVAILABLE, retriable', async () => {
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const unreachable = 'http://127.0.0.1:1/apis/ccompat/v7';
    const offline = new SchemaCatalog({
      registry: new SchemaRegistry({ host: unreachable }),
      registryUrl: unreachable,
    });
    await expect(offline.latest(uniqueName('schemas-offline'))).rejects.toMatchObject({
      code: ErrorCodes.REGISTRY_UNAVAILABLE,
      retriable: true,
    });
  });

  it('reads back the latest registered schema of a topic, and nothing for an unknown one', async () => {
    const topic = uniqueName('schemas-latest');
    expect(await catalog.latest(topic)).toBeUndefined();
    await catalog.register(topic, activitySchema);
    const latest = (await catalog.latest(topic)) as { name: string; fields: { name: string }[] };
    expect(latest.name).toBe(activitySchema.name);
    expect(latest.fields.map((f) => f.name)).toEqual(activitySchema.fields.map((f) => f.name));
  });

  it('encodes in the Confluent wire format, which the registry client decodes back', async () => {
    const id = await catalog.register(uniqueName('schemas-wire'), activitySchema);
    const buf = wire(catalog, id, record);
    expect(buf.readUInt8(0)).toBe(0);
    expect(buf.readInt32BE(1)).toBe(id);
    expect(await registry.decode(buf)).toEqual(record);

    // A catalog encodes only what it registered itself (the hot path never calls the registry).
    const other = new SchemaCatalog({
      registry: new SchemaRegistry({ host: registryUrl() }),
      registryUrl: registryUrl(),
    });
    expect(() => wire(other, id, record)).toThrow(/not registered/);
  });

  it("encodes into a caller's buffer at an offset, or says how many bytes it lacked", async () => {
    const id = await catalog.register(uniqueName('schemas-into'), activitySchema);
    const expected = wire(catalog, id, record);
    const out = Buffer.alloc(expected.length + 10, 0xee);
    expect(catalog.encodeInto(id, record, out, 7)).toBe(7 + expected.length);
    expect(out.subarray(7, 7 + expected.length).equals(expected)).toBe(true);
    expect(out.subarray(0, 7).equals(Buffer.alloc(7, 0xee))).toBe(true);

    const short = Buffer.alloc(expected.length - 1);
    expect(catalog.encodeInto(id, record, short, 0)).toBeLessThan(0);
    expect(catalog.encodeInto(id, record, Buffer.alloc(3), 0)).toBeLessThan(0); // no room for the header

    // What it lacked is enough: a big value fits once the buffer grows by that much.
    const big = { ...record, attributes: { blob: { string: 'x'.repeat(200_000) } } };
    const lacked = -catalog.encodeInto(id, big, Buffer.alloc(1024), 0);
    expect(lacked).toBeGreaterThan(0);
    const grown = Buffer.alloc(1024 + lacked);
    const end = catalog.encodeInto(id, big, grown, 0);
    expect(end).toBeGreaterThan(200_000);
    expect(await registry.decode(grown.subarray(0, end))).toEqual(big);
  });

  it('reports an invalid value as ENCODING_FAILED with its path', async () => {
    const id = await catalog.register(uniqueName('schemas-invalid'), activitySchema);
    expect(() => wire(catalog, id, { ...record, leadId: 'nope' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.ENCODING_FAILED, message: expect.stringContaining('leadId') }),
    );
  });

  it('accepts a BACKWARD-compatible change as a new id and rejects an incompatible one', async () => {
    const topic = uniqueName('schemas-evolve');
    const v1 = await catalog.register(topic, activitySchema);
    const v2Schema = {
      ...activitySchema,
      fields: [...activitySchema.fields, { name: 'extra', type: ['null', 'string'], default: null, doc: 'new' }],
    };
    const v2 = await catalog.register(topic, v2Schema);
    expect(v2).not.toBe(v1);

    const incompatible = {
      ...activitySchema,
      fields: [...activitySchema.fields, { name: 'required', type: 'string', doc: 'no default' }],
    };
    const err = await catalog.register(topic, incompatible).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.SCHEMA_REJECTED, status: 409 });
    expect((err as Error).message).toContain(`${topic}-value`);
    expect((err as Error).message).toMatch(/incompatib/i);
  });

  it('pins BACKWARD on a subject that already exists without its own rule', async () => {
    const topic = uniqueName('schemas-preexisting');
    // Created behind our back: the subject has no compatibility rule of its own.
    const created = await fetch(`${registryUrl()}/subjects/${topic}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(activitySchema) }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: number };
    expect(await catalog.register(topic, activitySchema)).toBe(id);
  });
});
