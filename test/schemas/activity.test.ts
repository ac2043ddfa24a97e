import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  type ActivityContext,
  activitySchema,
  type RawActivity,
  toActivityRecord,
  toAttributeValue,
} from '../../src/schemas/activity.ts';

const ctx: ActivityContext = {
  typeName: 'Change Data Value',
  instance: '123-ABC-456',
  connection: 'conn-1',
  pulledAt: 1_700_000_000_000,
};

const raw: RawActivity = {
  id: 9001,
  marketoGUID: 'a1b2c3',
  leadId: 42,
  activityDate: '2024-03-10T12:34:56Z',
  activityTypeId: 13,
  campaignId: 77,
  primaryAttributeValueId: 5,
  primaryAttributeValue: 'Email Address',
  attributes: [
    { name: 'New Value', value: 'a@b.com' },
    { name: 'Count', value: 3 },
    { name: 'Score', value: 2.5 },
    { name: 'Flag', value: true },
    { name: 'Nothing', value: null },
    { name: 'Nested', value: { a: [1, 2] } },
    { name: 'List', value: ['x', 'y'] },
  ],
};

describe('activitySchema', () => {
  const type = avro.Type.forSchema(activitySchema as unknown as avro.Schema);

  it('round-trips a record with every attribute kind', () => {
    const record = toActivityRecord(raw, ctx);
    expect(type.isValid(record)).toBe(true);
    const back = type.fromBuffer(type.toBuffer(record));
    expect(back).toEqual(record);
    expect(back.attributes).toEqual({
      'New Value': { string: 'a@b.com' },
      Count: { long: 3 },
      Score: { double: 2.5 },
      Flag: { boolean: true },
      Nothing: null,
      Nested: { string: '{"a":[1,2]}' },
      List: { string: '["x","y"]' },
    });
  });

  it('maps integers to long, fractions and unsafe integers to double, undefined to null', () => {
    // JSON cannot tell 3 from 3.0; both become long, which is lossless for the number itself.
    expect(toAttributeValue(3.0)).toEqual({ long: 3 });
    expect(toAttributeValue(0.1)).toEqual({ double: 0.1 });
    expect(toAttributeValue(2 ** 60)).toEqual({ double: 2 ** 60 });
    expect(toAttributeValue(undefined)).toBeNull();
  });

  it('is named io.marketostream.Activity and documents every field', () => {
    expect(type.name).toBe('io.marketostream.Activity');
    for (const field of activitySchema.fields) expect(field.doc, field.name).toMatch(/\w/);
  });
});

describe('toActivityRecord', () => {
  it('fills absent optionals with null and attributes with an empty map', () => {
    const record = toActivityRecord(
      { marketoGUID: 'g', leadId: 1, activityDate: '2024-01-01T00:00:00Z', activityTypeId: 1 },
      ctx,
    );
    expect(record).toEqual({
      marketoGUID: 'g',
      id: null,
      leadId: 1,
      activityDate: Date.UTC(2024, 0, 1),
      activityTypeId: 1,
      activityTypeName: 'Change Data Value',
      campaignId: null,
      primaryAttributeValueId: null,
      primaryAttributeValue: null,
      attributes: {},
      source: {
        connector: 'marketo-stream',
        instance: '123-ABC-456',
        connection: 'conn-1',
        pulledAt: 1_700_000_000_000,
      },
    });
  });

  it('normalises Marketo date spellings to epoch ms', () => {
    const expected = Date.UTC(2024, 2, 10, 12, 34, 56);
    for (const s of [
      '2024-03-10T12:34:56Z',
      '2024-03-10T12:34:56+0000',
      '2024-03-10T12:34:56Z+0000',
      '2024-03-10T12:34:56+00:00',
    ]) {
      expect(toActivityRecord({ ...raw, activityDate: s }, ctx).activityDate, s).toBe(expected);
    }
    expect(toActivityRecord({ ...raw, activityDate: '2024-03-10T07:34:56-0500' }, ctx).activityDate).toBe(expected);
    expect(toActivityRecord({ ...raw, activityDate: '2024-03-10T12:34:56.250Z' }, ctx).activityDate).toBe(
      expected + 250,
    );
  });

  it('rejects a date that is not a timestamp (the runner dead-letters the record)', () => {
    for (const bad of ['2024-03-10', 'yesterday', '2024-03-10T12:34:56', '2024-02-30T12:00:00Z']) {
      expect(() => toActivityRecord({ ...raw, activityDate: bad }, ctx), bad).toThrow(RangeError);
    }
  });
});
