import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/retry/index.ts';

const backoff = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('is full jitter over a doubling ceiling, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, backoff, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(0);
    expect(backoffDelay(2, backoff, () => 0.5)).toBe(100);
  });

  it('spreads the waits of one attempt over its whole range', () => {
    const waits = Array.from({ length: 200 }, () => backoffDelay(4, backoff));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(800);
    expect(new Set(waits).size).toBeGreaterThan(50);
  });
});
