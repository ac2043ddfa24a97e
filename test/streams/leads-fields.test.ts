import { describe, expect, it } from 'vitest';
import { ErrorCodes, hasCode } from '../../src/errors.ts';
import { checkLeadFields, closestNames, editDistance } from '../../src/streams/leads-fields.ts';

const described = [
  'id',
  'email',
  'firstName',
  'lastName',
  'Foo__c',
  'leadScore__c',
  'company',
  'secondaryEmail__c',
].map((name) => ({
  name,
  dataType: 'string',
}));

describe('closestNames', () => {
  it('suggests case slips, typos and containments, closest first', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(
      closestNames(
        'foo__c',
        described.map((f) => f.name),
      )[0],
    ).toBe('Foo__c');
    expect(
      closestNames(
        'fristName',
        described.map((f) => f.name),
      )[0],
    ).toBe('firstName');
    expect(
      closestNames(
        'leadScore',
        described.map((f) => f.name),
      ),
    ).toEqual(['leadScore__c']);
    expect(
      closestNames(
        'zzzzzzzz',
        described.map((f) => f.name),
      ),
    ).toEqual([]);
  });
});

describe('checkLeadFields', () => {
  it('accepts known fields', () => {
    expect(() => checkLeadFields(['email', 'Foo__c'], described)).not.toThrow();
  });

  it('names every unknown field and its closest existing names', () => {
    let error: unknown;
    try {
      checkLeadFields(['email', 'emial', 'nothingLikeIt'], described);
    } catch (err) {
      error = err;
    }
    expect(hasCode(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('leadFields');
    expect(message).toContain('"emial" (did you mean "email"');
    expect(message).toContain('"nothingLikeIt"');
    expect((error as { field?: string }).field).toBe('leadFields');
  });
});
