import { describe, expect, it } from 'vitest';
import { localDate, localDay, nextMidnight } from '../../src/quota/day.ts';

const CHICAGO = 'America/Chicago';
const iso = (ms: number) => new Date(ms).toISOString();

describe('localDate', () => {
  it('gives the Central calendar date, not the UTC one', () => {
    // 03:00 UTC on Jan 16 is 21:00 CST on Jan 15.
    expect(localDate(Date.parse('2026-01-16T03:00:00Z'), CHICAGO)).toBe('2026-01-15');
    expect(localDate(Date.parse('2026-01-16T06:00:00Z'), CHICAGO)).toBe('2026-01-16');
    expect(localDate(Date.parse('2026-01-16T03:00:00Z'), 'UTC')).toBe('2026-01-16');
  });

  it('switches exactly at local midnight', () => {
    // CST is UTC-6: midnight Jan 16 local = 06:00Z.
    expect(localDate(Date.parse('2026-01-16T05:59:59.999Z'), CHICAGO)).toBe('2026-01-15');
    expect(localDate(Date.parse('2026-01-16T06:00:00.000Z'), CHICAGO)).toBe('2026-01-16');
  });
});

describe('nextMidnight', () => {
  it('is the next local midnight in winter (UTC-6) and summer (UTC-5)', () => {
    expect(iso(nextMidnight(Date.parse('2026-01-15T12:00:00Z'), CHICAGO))).toBe('2026-01-16T06:00:00.000Z');
    expect(iso(nextMidnight(Date.parse('2026-07-15T12:00:00Z'), CHICAGO))).toBe('2026-07-16T05:00:00.000Z');
  });

  it('at midnight exactly, is the following midnight', () => {
    expect(iso(nextMidnight(Date.parse('2026-01-16T06:00:00Z'), CHICAGO))).toBe('2026-01-17T06:00:00.000Z');
    expect(iso(nextMidnight(Date.parse('2026-01-16T05:59:59.999Z'), CHICAGO))).toBe('2026-01-16T06:00:00.000Z');
  });

  it('spring forward (2026-03-08): the day is 23 hours long', () => {
    const start = Date.parse('2026-03-08T06:00:00Z'); // 00:00 CST, Mar 8
    expect(localDate(start, CHICAGO)).toBe('2026-03-08');
    const end = nextMidnight(start, CHICAGO);
    expect(iso(end)).toBe('2026-03-09T05:00:00.000Z'); // 00:00 CDT, Mar 9
    expect(end - start).toBe(23 * 3600_000);
    // From the middle of that day too (after the 02:00 jump).
    expect(nextMidnight(Date.parse('2026-03-08T15:00:00Z'), CHICAGO)).toBe(end);
    // And the day before ends at the start of the change day.
    expect(nextMidnight(Date.parse('2026-03-07T20:00:00Z'), CHICAGO)).toBe(start);
  });

  it('fall back (2026-11-01): the day is 25 hours long', () => {
    const start = Date.parse('2026-11-01T05:00:00Z'); // 00:00 CDT, Nov 1
    expect(localDate(start, CHICAGO)).toBe('2026-11-01');
    const end = nextMidnight(start, CHICAGO);
    expect(iso(end)).toBe('2026-11-02T06:00:00.000Z'); // 00:00 CST, Nov 2
    expect(end - start).toBe(25 * 3600_000);
    // During the repeated hour (01:30 CDT and 01:30 CST).
    expect(nextMidnight(Date.parse('2026-11-01T06:30:00Z'), CHICAGO)).toBe(end);
    expect(nextMidnight(Date.parse('2026-11-01T07:30:00Z'), CHICAGO)).toBe(end);
  });

  it('works for other zones, including one far from UTC', () => {
    expect(iso(nextMidnight(Date.parse('2026-01-15T12:00:00Z'), 'UTC'))).toBe('2026-01-16T00:00:00.000Z');
    expect(iso(nextMidnight(Date.parse('2026-01-15T12:00:00Z'), 'Asia/Kolkata'))).toBe('2026-01-15T18:30:00.000Z');
    expect(iso(nextMidnight(Date.parse('2026-01-15T12:00:00Z'), 'Pacific/Kiritimati'))).toBe(
      '2026-01-16T10:00:00.000Z',
    );
  });

  it('handles a zone whose DST change skips midnight (America/Santiago, 2026-09-06)', () => {
    // Chile springs forward at 24:00 on Sat Sep 5 2026: Sunday starts at 01:00 local (UTC-3 = 04:00Z).
    const t = nextMidnight(Date.parse('2026-09-05T12:00:00Z'), 'America/Santiago');
    expect(localDate(t, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(t - 1, 'America/Santiago')).toBe('2026-09-05');
  });
});

describe('localDay', () => {
  it('agrees with localDate and nextMidnight for instants walked forward, backward and across DST days', () => {
    // Every 37 minutes through the spring and autumn change days, then back in time, then a jump.
    const instants: number[] = [];
    for (let t = Date.parse('2026-03-07T00:00:00Z'); t < Date.parse('2026-03-10T00:00:00Z'); t += 37 * 60_000)
      instants.push(t);
    for (let t = Date.parse('2026-11-03T00:00:00Z'); t > Date.parse('2026-10-31T00:00:00Z'); t -= 37 * 60_000)
      instants.push(t);
    instants.push(Date.parse('2026-01-16T05:59:59.999Z'), Date.parse('2026-01-16T06:00:00Z'), 0);
    for (const t of instants) {
      for (const zone of [CHICAGO, 'UTC']) {
        expect(localDay(t, zone), `${iso(t)} ${zone}`).toEqual({
          date: localDate(t, zone),
          resetAt: nextMidnight(t, zone),
        });
      }
    }
  });
});
