import { describe, expect, it } from 'vitest';
import { recordKey } from '../../src/schemas/keys.ts';

describe('recordKey', () => {
  it('is <instance>:<id>', () => {
    expect(recordKey('123-ABC-456', 42)).toBe('123-ABC-456:42');
    expect(recordKey('123-ABC-456', '42')).toBe(recordKey('123-ABC-456', 42));
  });
});
