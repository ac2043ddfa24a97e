import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, retryDelay } from '../../src/marketo/retry.ts';

const policy = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  rateLimitedDelayMs: 500,
  maxAttempts: 4,
};
const err = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], retriable: boolean, retryAfterMs?: number) =>
  new MarketoStreamError(code, 'x', { retriable, retryAfterMs });

describe('backoffDelay', () => {
  it('is full jitter over a doubling cap, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(100);
  });
});

describe('retryDelay', () => {
  it('retries retriable errors until maxAttempts', () => {
    const e = err(ErrorCodes.UNAVAILABLE, true);
    expect(retryDelay(e, 1, policy, () => 0.5)).toBe(50);
    expect(retryDelay(e, 3, policy, () => 0.5)).toBe(200);
    expect(retryDelay(e, 4, policy, () => 0.5)).toBeUndefined();
  });

  it('never retries what is not retriable, or what is not ours', () => {
    expect(retryDelay(err(ErrorCodes.REQUEST_REJECTED, false), 1, policy)).toBeUndefined();
    expect(retryDelay(new Error('boom'), 1, policy)).toBeUndefined();
  });

  it('waits at least rateLimitedDelayMs after 606/615', () => {
    expect(retryDelay(err(ErrorCodes.RATE_LIMITED, true), 1, policy, () => 0)).toBe(500);
    expect(retryDelay(err(ErrorCodes.CONCURRENCY_LIMITED, true), 1, policy, () => 0)).toBe(500);
  });

  it('honours retryAfterMs, and surfaces waits longer than maxDelayMs to the caller', () => {
    expect(retryDelay(err(ErrorCodes.UNAVAILABLE, true, 800), 1, policy, () => 0)).toBe(800);
    expect(retryDelay(err(ErrorCodes.QUOTA_EXHAUSTED, true, 3_600_000), 1, policy, () => 0)).toBeUndefined();
  });
});
