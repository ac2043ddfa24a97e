import { describe, expect, it } from 'vitest';
import { planRead } from '../../src/kafka/topic-reader.ts';

const ranges = (plan: ReturnType<typeof planRead>) =>
  Object.fromEntries([...plan.ranges].map(([p, r]) => [p, [Number(r.start), Number(r.end)]]));

describe('planRead', () => {
  it('without barriers reads from the given offset (never below the first one held) to the last stable offset', () => {
    const plan = planRead(
      [
        { partition: 0, low: 0n, stable: 10n },
        { partition: 1, low: 5n, stable: 9n },
        { partition: 2, low: 0n, stable: 4n },
      ],
      { '0': 3, '1': 2, '2': 4 },
    );
    expect(ranges(plan)).toEqual({ 0: [3, 10], 1: [5, 9] });
    expect(plan.next).toEqual({ '0': 3, '1': 5, '2': 4 });
  });

  it('with a barrier reads through the barrier, however far the last stable offset lags', () => {
    // An open transaction holds the last stable offset at 4; records committed after it lie up to 11.
    const plan = planRead([{ partition: 0, low: 0n, stable: 4n, barrier: 12n }], { '0': 2 });
    expect(ranges(plan)).toEqual({ 0: [2, 13] });
    expect(plan.next).toEqual({ '0': 2 });
  });

  it('a partition whose start is its barrier has nothing new: not read, resumes after the barrier', () => {
    const plan = planRead(
      [
        { partition: 0, low: 0n, stable: 7n, barrier: 7n },
        { partition: 1, low: 0n, stable: 0n, barrier: 0n },
      ],
      { '0': 7 },
    );
    expect(ranges(plan)).toEqual({});
    expect(plan.next).toEqual({ '0': 8, '1': 1 });
  });

  it('from the start, a partition with records before its barrier is read from its first offset held', () => {
    const plan = planRead([{ partition: 0, low: 3n, stable: 3n, barrier: 6n }], undefined);
    expect(ranges(plan)).toEqual({ 0: [3, 7] });
    expect(plan.next).toEqual({ '0': 3 });
  });
});
