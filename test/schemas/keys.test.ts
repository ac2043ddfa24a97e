import { describe, expect, it } from 'vitest';
import { decodeRecordKey, recordKey } from '../../src/schemas/keys.ts';

describe('recordKey', () => {
  it('is <instance>:<id>', () => {
    expect(recordKey('123-ABC-456', 42)).toBe('123-ABC-456:42');
    expect(recordKey('123-ABC-456', '42')).toBe(recordKey('123-ABC-456', 42));
  });
});

describe('decodeRecordKey', () => {
  it('takes apart what recordKey builds, for every shape of instance id', () => {
    for (const instance of ['123-ABC-456', 'sandbox.eu_1', 'a', 'X'.repeat(100)]) {
      for (const id of [1, 42, 9_007_199_254_740_991, 'abc']) {
        expect(decodeRecordKey(recordKey(instance, id))).toEqual({ instance, id: String(id) });
      }
    }
  });

  it('rejects malformed keys', () => {
    for (const key of ['', ':', '42', '123-ABC-456', '123-ABC-456:', ':42', 'a:b:42', '123-ABC-456::42']) {
      expect(decodeRecordKey(key), key).toBeUndefined();
    }
  });
});
