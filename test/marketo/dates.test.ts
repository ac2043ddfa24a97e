import { describe, expect, it } from 'vitest';
import { formatMarketoDate, parseMarketoDate } from '../../src/marketo/dates.ts';

const T = Date.parse('2023-01-16T23:32:19.000Z');

describe('parseMarketoDate', () => {
  it.each([
    ['2023-01-16T23:32:19Z', T],
    ['2023-01-16T23:32:19+0000', T],
    ['2023-01-16T23:32:19Z+0000', T],
    ['2023-01-16T23:32:19+00:00', T],
    ['2023-01-16T23:32:19.123Z', T + 123],
    ['2023-01-16T23:32:19.1Z', T + 100],
    ['2023-01-16T23:32:19.123456Z', T + 123],
    ['2023-01-16T23:32:19.123+0000', T + 123],
    ['2023-01-16T23:32:19.123Z+0000', T + 123],
    ['2023-01-16T17:32:19-0600', T],
    ['2023-01-17T05:02:19+05:30', T],
  ])('%s', (input, expected) => {
    expect(parseMarketoDate(input)).toBe(expected);
  });

  it.each(['2023-01-16T23:32:19', '2023-01-16', 'yesterday', '', '2023-02-30T00:00:00Z', '2023-01-16T24:00:00Z'])(
    'rejects %j',
    (input) => {
      expect(() => parseMarketoDate(input)).toThrow(RangeError);
    },
  );
});

describe('formatMarketoDate', () => {
  it('writes UTC without milliseconds', () => {
    expect(formatMarketoDate(T + 999)).toBe('2023-01-16T23:32:19Z');
    expect(formatMarketoDate('2023-01-16T17:32:19-0600')).toBe('2023-01-16T23:32:19Z');
    expect(formatMarketoDate('2023-01-16T23:32:19Z+0000')).toBe('2023-01-16T23:32:19Z');
    expect(formatMarketoDate(new Date(T))).toBe('2023-01-16T23:32:19Z');
    expect(() => formatMarketoDate('nope')).toThrow(RangeError);
  });
  it('reads the canonical activities form exactly, leap days included, and rejects impossible dates', () => {
    expect(parseMarketoDate('2024-02-29T23:59:59Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseMarketoDate('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
    ]) {
      expect(() => parseMarketoDate(bad), bad).toThrow(RangeError);
    }
  });
});
