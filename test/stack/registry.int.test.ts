import { COMPATIBILITY, SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterFile } from '../support/cleanup.ts';
import { uniqueName } from './helpers.ts';

cleanUpAfterFile();

const registryUrl = () => process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

const v1 = {
  type: 'record' as const,
  name: 'Probe',
  namespace: 'io.marketostream.test',
  fields: [{ name: 'id', type: 'long' }],
};
const v2Compatible = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const v3Incompatible = { ...v1, fields: [...v1.fields, { name: 'required', type: 'string' }] };

// Proves the registry speaks the Confluent API the pipeline uses: TopicNameStrategy subjects,
// Confluent wire format, and BACKWARD compatibility enforced per subject.
describe('local schema registry (Confluent API)', () => {
  it('registers under <topic>-value and encodes in Confluent wire format', async () => {
    const registry = new SchemaRegistry({ host: registryUrl() });
    const subject = `${uniqueName('stack-avro')}-value`;
    const { id } = await registry.register(v1, { subject, compatibility: COMPATIBILITY.BACKWARD });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const encoded = await registry.encode(id, { id: 42 });
    expect(encoded.readUInt8(0)).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ id: 42 });
  });

  it('accepts a BACKWARD-compatible version and rejects an incompatible one', async () => {
    const registry = new SchemaRegistry({ host: registryUrl() });
    const subject = `${uniqueName('stack-compat')}-value`;
    const first = await registry.register(v1, { subject, compatibility: COMPATIBILITY.BACKWARD });

    const res = await fetch(`${registryUrl()}/config/${encodeURIComponent(subject)}`);
    expect(await res.json()).toMatchObject({ compatibilityLevel: 'BACKWARD' });

    const second = await registry.register(v2Compatible, { subject, compatibility: COMPATIBILITY.BACKWARD });
    expect(second.id).not.toBe(first.id);

    await expect(
      registry.register(v3Incompatible, { subject, compatibility: COMPATIBILITY.BACKWARD }),
    ).rejects.toMatchObject({ status: 409 });
    expect(await registry.getLatestSchemaId(subject)).toBe(second.id);
  });
});
