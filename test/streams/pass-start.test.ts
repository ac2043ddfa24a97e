import { describe, expect, it } from 'vitest';
import { effectiveLookbackMs, passStart } from '../../src/streams/pass-start.ts';

describe('passStart', () => {
  const floor = 1_000_000;
  it('is undefined for a first pass (nothing reached yet: start at the floor)', () => {
    expect(passStart({ floor, lookbackMs: 10 })).toBeUndefined();
  });

  it('starts one look-back behind the later of the last pass start and the newest record', () => {
    expect(passStart({ lastPassStart: 5_000_000, newestSeen: 4_000_000, floor, lookbackMs: 10 })).toBe(4_999_990);
    expect(passStart({ lastPassStart: 5_000_000, newestSeen: 6_000_000, floor, lookbackMs: 10 })).toBe(5_999_990);
    expect(passStart({ lastPassStart: 5_000_000, floor, lookbackMs: 10 })).toBe(4_999_990);
    expect(passStart({ newestSeen: 6_000_000, floor, lookbackMs: 10 })).toBe(5_999_990);
  });

  it('never starts before the floor', () => {
    expect(passStart({ lastPassStart: 1_000_005, floor, lookbackMs: 3_600_000 })).toBe(floor);
  });
});

describe('effectiveLookbackMs', () => {
  it('is the configured look-back, at least one second (Marketo bounds are inclusive, in seconds)', () => {
    expect(effectiveLookbackMs(0)).toBe(1_000);
    expect(effectiveLookbackMs(3_600_000)).toBe(3_600_000);
  });
});
