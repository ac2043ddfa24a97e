import { describe, expect, it } from 'vitest';
import { SeenWindow } from '../../src/runner/seen-window.ts';

describe('SeenWindow', () => {
  it('remembers ids inside the look-back window behind the newest event, and forgets older ones', () => {
    const seen = new SeenWindow(60_000);
    seen.add('a', 0);
    seen.add('b', 30_000);
    seen.add('c', 100_000);
    seen.evict();
    expect(seen.has('a')).toBe(false); // 100 s - 60 s = 40 s horizon
    expect(seen.has('b')).toBe(false);
    expect(seen.has('c')).toBe(true);
    expect(seen.size).toBe(1);
    expect(seen.horizon()).toBe(40_000);
  });

  it('keeps a late arrival that is still inside the window', () => {
    const seen = new SeenWindow(60_000);
    seen.add('new', 100_000);
    seen.add('late', 50_000);
    seen.evict();
    expect(seen.has('late')).toBe(true);
  });
});
