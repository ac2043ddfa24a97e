import { describe, expect, it } from 'vitest';
import { type HeldToken, RING_GRAIN_MS, rememberToken, tokenFrom } from '../../src/streams/token-ring.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const shape = { fineMs: HOUR, widestMs: 26 * HOUR };

/** The ring after a catch-up every 5 minutes for `hours`, ending at T0 + hours. */
function ringAfter(hours: number): HeldToken[] {
  let ring: HeldToken[] = [];
  for (let t = T0; t <= T0 + hours * HOUR; t += 5 * MIN) {
    ring = rememberToken(ring, { at: iso(t), token: `tok-${t}` }, t, shape);
  }
  return ring;
}

describe('the token ring (issue #12.5: look-backs without a pagingtoken.json call)', () => {
  it('keeps every token of the regular window, one an hour beyond it, and none older than the widest window', () => {
    const end = T0 + 30 * HOUR;
    const ring = ringAfter(30);
    const ages = ring.map((e) => (end - Date.parse(e.at)) / MIN);
    // Every 5 minutes back to the regular window and a grain (120 min)…
    expect(ages.filter((a) => a <= 120)).toHaveLength(25);
    // …then at least an hour apart, back to the widest window and two grains (28 h).
    const older = ring.filter((e) => end - Date.parse(e.at) > 120 * MIN).map((e) => Date.parse(e.at));
    for (let j = 1; j < older.length; j++) expect(older[j]! - older[j - 1]!).toBeGreaterThanOrEqual(RING_GRAIN_MS);
    expect(Math.max(...ages)).toBeLessThanOrEqual(28 * 60);
    expect(Math.max(...ages)).toBeGreaterThanOrEqual(26 * 60 + 60);
    expect(ring.length).toBeLessThan(60);
  });

  it('a window is re-read from the newest token at or before its start, never from one more than a grain before it', () => {
    const end = T0 + 30 * HOUR;
    const ring = ringAfter(30);
    const regular = tokenFrom(ring, end - HOUR);
    expect(regular?.at).toBe(iso(end - HOUR));
    const deep = tokenFrom(ring, end - 26 * HOUR - 7 * MIN);
    expect(Date.parse(deep!.at)).toBeLessThanOrEqual(end - 26 * HOUR - 7 * MIN);
    expect(Date.parse(deep!.at)).toBeGreaterThanOrEqual(end - 27 * HOUR - 7 * MIN);
    // Older than anything held (within a grain): none, a fresh token is asked for.
    expect(tokenFrom(ring, end - 40 * HOUR)).toBeUndefined();
    expect(tokenFrom([], end)).toBeUndefined();
  });

  it('the same token is held once, at its latest instant', () => {
    const once = rememberToken([{ at: iso(T0), token: 'same' }], { at: iso(T0 + 5 * MIN), token: 'same' }, T0, shape);
    expect(once).toEqual([{ at: iso(T0 + 5 * MIN), token: 'same' }]);
  });
});
