import { describe, expect, it } from 'vitest';
import { LeadIdSet } from '../../src/streams/lead-id-set.ts';

describe('LeadIdSet', () => {
  it('holds ids across pages, each with the earliest instant of its page', () => {
    const set = new LeadIdSet();
    set.add(7, 500);
    set.add(7, 900);
    set.add(65_535, 300);
    set.add(10_000_000, 100);
    expect([7, 8, 65_535, 65_536, 10_000_000].map((id) => set.has(id))).toEqual([true, false, true, false, true]);
    expect(set.earliestAt(7)).toBe(300);
    expect(set.earliestAt(10_000_000)).toBe(100);
    expect(set.earliestAt(8)).toBeUndefined();
    expect(set.size).toBe(3);
  });

  it('takes memory by id range, not by count, and ignores ids that are not lead ids', () => {
    const set = new LeadIdSet();
    for (let id = 1; id <= 200_000; id++) set.add(id, id);
    set.add(0);
    set.add(-3);
    set.add(1.5);
    expect(set.size).toBe(200_000);
    expect(set.bytes).toBe(4 * 8192);
    expect(set.has(0)).toBe(false);
  });
});
