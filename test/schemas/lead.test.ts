import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import type { MarketoLeadField } from '../../src/marketo/index.ts';
import {
  avroFieldName,
  convertLeadValue,
  leadAvroType,
  leadSchema,
  toLeadRecord,
  valueKindOf,
} from '../../src/schemas/lead.ts';

const described: MarketoLeadField[] = [
  { name: 'id', dataType: 'integer' },
  { name: 'email', dataType: 'email' },
  { name: 'notes__c', dataType: 'text' },
  { name: 'seats__c', dataType: 'integer' },
  { name: 'score__c', dataType: 'score' },
  { name: 'ratio__c', dataType: 'float' },
  { name: 'revenue', dataType: 'currency' },
  { name: 'discount__c', dataType: 'percent' },
  { name: 'isCustomer__c', dataType: 'boolean' },
  { name: 'demo__c', dataType: 'date' },
  { name: 'engagedAt__c', dataType: 'datetime' },
  { name: 'account__c', dataType: 'reference' },
  { name: 'role', dataType: 'lead_function' },
  { name: 'my-field.x', dataType: 'string' },
  { name: 'source', dataType: 'string' },
];

describe('leadAvroType', () => {
  it('maps every Marketo data type, and anything unknown to string', () => {
    expect(
      ['string', 'text', 'email', 'phone', 'url', 'reference', 'lead_function', 'whatever'].map(leadAvroType),
    ).toEqual(Array(8).fill('string'));
    expect(leadAvroType('integer')).toBe('long');
    expect(leadAvroType('score')).toBe('long');
    expect(['float', 'currency', 'percent'].map(leadAvroType)).toEqual(['double', 'double', 'double']);
    expect(leadAvroType('boolean')).toBe('boolean');
    expect(leadAvroType('date')).toEqual({ type: 'int', logicalType: 'date' });
    expect(leadAvroType('datetime')).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
  });
});

describe('avroFieldName', () => {
  it('keeps valid REST names and sanitises the others', () => {
    expect(avroFieldName('Foo__c')).toBe('Foo__c');
    expect(avroFieldName('my-field.x')).toBe('my_field_x');
    expect(avroFieldName('1st')).toBe('_1st');
  });
});

describe('leadSchema', () => {
  const names = described.map((f) => f.name);

  it('refuses a configured field the instance does not describe, naming it and the config field', () => {
    expect(() => leadSchema(described, [...names, 'noSuchField__c'])).toThrow(
      expect.objectContaining({
        code: ErrorCodes.CONFIG_UNKNOWN_LEAD_FIELD,
        field: 'leadFields',
        retriable: false,
        message: expect.stringMatching(/noSuchField__c/),
      }),
    );
  });

  it('is a valid Avro record: id first and required, every configured field nullable with default null', () => {
    const { schema, fields } = leadSchema(described, names);
    const type = avro.Type.forSchema(schema as avro.Schema) as avro.types.RecordType;
    const avroFields = (
      schema as { fields: { name: string; type: unknown; default?: unknown; marketoName?: string }[] }
    ).fields;
    expect(avroFields[0]).toMatchObject({ name: 'id', type: 'long' });
    expect(avroFields.at(-1)!.name).toBe('source');
    for (const f of avroFields.slice(1, -1)) {
      expect(f.default).toBeNull();
      expect((f.type as unknown[])[0]).toBe('null');
    }
    expect(type.fields.map((f) => f.name)).toContain('my_field_x');
    // A lead field named like the schema's own `source` block is renamed, its REST name kept.
    expect(fields.find((f) => f.restName === 'source')!.avroName).toBe('source_');
    expect(avroFields.find((f) => f.name === 'my_field_x')!.marketoName).toBe('my-field.x');
  });

  it('adding or removing a field stays BACKWARD compatible (the new schema reads the old data)', () => {
    const v1 = avro.Type.forSchema(leadSchema(described, ['email', 'seats__c']).schema as avro.Schema);
    const v2 = avro.Type.forSchema(leadSchema(described, ['email', 'demo__c']).schema as avro.Schema);
    const source = { connector: 'marketo-stream', instance: 'i', connection: 'c', pulledAt: 1 };
    const old = v1.toBuffer({ id: 7, email: 'a@b.c', seats__c: 3, source });
    const read = v2.fromBuffer(old, v2.createResolver(v1)) as Record<string, unknown>;
    expect(read).toMatchObject({ id: 7, email: 'a@b.c', demo__c: null });
  });

  it('keeps the registered type of a field whose Marketo type changed, or widens it when Avro allows', () => {
    const previous = leadSchema(described, ['seats__c', 'ratio__c', 'email']).schema;
    const changed: MarketoLeadField[] = [
      { name: 'seats__c', dataType: 'float' }, // long → double: a promotion
      { name: 'ratio__c', dataType: 'string' }, // double → string: not readable, keep double
      { name: 'email', dataType: 'integer' }, // string → long: keep string
    ];
    const plan = leadSchema(changed, ['seats__c', 'ratio__c', 'email'], previous);
    expect(plan.fields.map((f) => [f.restName, f.kind])).toEqual([
      ['seats__c', 'double'],
      ['ratio__c', 'double'],
      ['email', 'string'],
    ]);
    expect(plan.conflicts.map((c) => c.field)).toEqual(['seats__c', 'ratio__c', 'email']);
    const reader = avro.Type.forSchema(plan.schema as avro.Schema);
    const writer = avro.Type.forSchema(previous as avro.Schema);
    expect(() => reader.createResolver(writer)).not.toThrow();
  });
});

describe('toLeadRecord', () => {
  it('converts each value to its field type, absent fields to null, and encodes', () => {
    const plan = leadSchema(
      described,
      described.map((f) => f.name),
    );
    const raw = {
      id: 42,
      email: 'x@y.example',
      seats__c: '12',
      score__c: 99,
      ratio__c: 0.25,
      revenue: '1500.5',
      discount__c: 10,
      isCustomer__c: 'true',
      demo__c: '2025-03-14',
      engagedAt__c: '2025-03-14T10:00:00+0000',
      account__c: 1234,
      'my-field.x': 'v',
    };
    const value = toLeadRecord(raw, plan.fields, { instance: 'i', connection: 'c', pulledAt: 5 });
    expect(value).toMatchObject({
      id: 42,
      email: 'x@y.example',
      notes__c: null,
      seats__c: 12,
      score__c: 99,
      ratio__c: 0.25,
      revenue: 1500.5,
      discount__c: 10,
      isCustomer__c: true,
      demo__c: Date.UTC(2025, 2, 14) / 86_400_000,
      engagedAt__c: Date.UTC(2025, 2, 14, 10),
      account__c: '1234',
      my_field_x: 'v',
      source_: null,
      source: { connector: 'marketo-stream', instance: 'i', connection: 'c', pulledAt: 5 },
    });
    expect(() => avro.Type.forSchema(plan.schema as avro.Schema).toBuffer(value)).not.toThrow();
  });

  it('names the field of a value that cannot be converted', () => {
    const plan = leadSchema(described, ['seats__c']);
    expect(() =>
      toLeadRecord({ id: 1, seats__c: 'many' }, plan.fields, { instance: 'i', connection: 'c', pulledAt: 0 }),
    ).toThrow(/seats__c/);
    expect(() => convertLeadValue('demo__c', 'date', 'not a date')).toThrow(/demo__c.*not a valid date/);
    expect(() => convertLeadValue('flag', 'boolean', 'maybe')).toThrow(/flag/);
    expect(convertLeadValue('seats__c', 'long', '')).toBeNull();
  });
});

describe('valueKindOf', () => {
  it('reads the kind back from an Avro type with or without its null branch', () => {
    expect(valueKindOf(['null', { type: 'int', logicalType: 'date' }])).toBe('date');
    expect(valueKindOf({ type: 'long', logicalType: 'timestamp-millis' })).toBe('timestamp');
    expect(valueKindOf(['null', 'int'])).toBe('long');
    expect(valueKindOf({ type: 'record', name: 'X', fields: [] })).toBeUndefined();
  });
});
