import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { clientRetryDecision, DEFAULT_RETRY_POLICY } from '../../src/marketo/retry.ts';

const policy = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  rateLimitedDelayMs: 500,
  maxAttempts: 4,
};
const err = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], retriable: boolean, retryAfterMs?: number) =>
  new MarketoStreamError(code, 'x', { retriable, retryAfterMs });

describe('clientRetryDecision', () => {
  it('retries our retriable errors with plain backoff', () => {
    expect(clientRetryDecision(err(ErrorCodes.UNAVAILABLE, true), policy)).toEqual({ retry: true, atLeastMs: 0 });
    expect(clientRetryDecision(err(ErrorCodes.NETWORK, true), policy)).toEqual({ retry: true, atLeastMs: 0 });
  });

  it('never retries what is not retriable, or what is not ours', () => {
    expect(clientRetryDecision(err(ErrorCodes.REQUEST_REJECTED, false), policy)).toEqual({ retry: false });
    expect(clientRetryDecision(new Error('boom'), policy)).toEqual({ retry: false });
    expect(clientRetryDecision(Object.assign(new Error('kafka'), { retriable: true }), policy)).toEqual({
      retry: false,
    });
  });

  it('waits at least rateLimitedDelayMs after 606/615', () => {
    expect(clientRetryDecision(err(ErrorCodes.RATE_LIMITED, true), policy)).toEqual({ retry: true, atLeastMs: 500 });
    expect(clientRetryDecision(err(ErrorCodes.CONCURRENCY_LIMITED, true), policy)).toEqual({
      retry: true,
      atLeastMs: 500,
    });
  });

  it('honours retryAfterMs, and surfaces a spent quota and waits longer than maxDelayMs to the caller', () => {
    expect(clientRetryDecision(err(ErrorCodes.UNAVAILABLE, true, 800), policy)).toEqual({
      retry: true,
      atLeastMs: 800,
    });
    expect(clientRetryDecision(err(ErrorCodes.UNAVAILABLE, true, 3_600_000), policy)).toEqual({ retry: false });
    expect(clientRetryDecision(err(ErrorCodes.QUOTA_EXHAUSTED, true, 10), policy)).toEqual({ retry: false });
  });
});
