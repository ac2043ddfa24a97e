import { describe, expect, it } from 'vitest';
import { untilNextPass } from '../../src/runner/pass-schedule.ts';

describe('untilNextPass', () => {
  it('waits what is left of the interval after the pass', () => {
    expect(untilNextPass(1_000, 60_000, 1_000)).toBe(60_000);
    expect(untilNextPass(1_000, 60_000, 21_000)).toBe(40_000);
  });

  it('starts the next pass at once after a pass longer than the interval, with no backlog', () => {
    expect(untilNextPass(1_000, 60_000, 61_000)).toBe(0);
    expect(untilNextPass(1_000, 60_000, 500_000)).toBe(0);
  });
});
