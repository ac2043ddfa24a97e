import { describe, expect, it, vi } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { retriableDecision, retry } from '../../src/retry/index.ts';
import { FakeClock } from '../support/fake-clock.ts';

const transient = () => new MarketoStreamError(ErrorCodes.UNAVAILABLE, 'down', { retriable: true });
const fatal = () => new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, 'no', { retriable: false });

/** A function that fails with each of `failures` in turn, then resolves with 'ok'. */
function failing(...failures: unknown[]) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    const next = failures.shift();
    if (next !== undefined) throw next;
    return 'ok';
  };
  return { fn, attempts };
}

const options = (clock: FakeClock) => ({ clock, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 });

describe('retry', () => {
  it('retries retriable failures on the clock with jittered exponential backoff', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { fn, attempts } = failing(transient(), transient(), transient());
    await expect(retry(fn, options(clock))).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(clock.now() - start).toBe(350);
  });

  it('rethrows at once what is not retriable (kafkajs-style flags count too)', async () => {
    const clock = new FakeClock();
    const err = fatal();
    const { fn, attempts } = failing(err);
    await expect(retry(fn, options(clock))).rejects.toBe(err);
    expect(attempts).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
    const kafkaLike = Object.assign(new Error('leader not available'), { retriable: true });
    await expect(retry(failing(kafkaLike).fn, options(clock))).resolves.toBe('ok');
  });

  it('gives up after maxAttempts with the last error', async () => {
    const clock = new FakeClock();
    const last = transient();
    const { fn, attempts } = failing(transient(), last, transient());
    await expect(retry(fn, { ...options(clock), maxAttempts: 2 })).rejects.toBe(last);
    expect(attempts).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([50]);
  });

  it('waits exactly retryAfterMs when the error names it (a quota reset), whatever the backoff', async () => {
    const clock = new FakeClock();
    const spent = new MarketoStreamError(ErrorCodes.QUOTA_EXHAUSTED, 'spent', {
      retriable: true,
      retryAfterMs: 6 * 3600_000,
    });
    const { fn } = failing(spent);
    await retry(fn, options(clock));
    expect(clock.sleeps).toEqual([6 * 3600_000]);
  });

  it('follows classify: a floor under the backoff, or giving up', async () => {
    const clock = new FakeClock();
    const { fn } = failing(transient(), transient());
    await retry(fn, { ...options(clock), classify: () => ({ retry: true, atLeastMs: 75 }) });
    expect(clock.sleeps).toEqual([75, 100]);
    const err = transient();
    await expect(retry(failing(err).fn, { ...options(clock), classify: () => ({ retry: false }) })).rejects.toBe(err);
  });

  it('tells onRetry each wait before it starts', async () => {
    const clock = new FakeClock();
    const seen: { attempt: number; delayMs: number }[] = [];
    await retry(failing(transient(), transient()).fn, { ...options(clock), onRetry: (_e, info) => seen.push(info) });
    expect(seen).toEqual([
      { attempt: 1, delayMs: 50 },
      { attempt: 2, delayMs: 100 },
    ]);
  });

  it('stops with the signal’s reason when aborted during a wait', async () => {
    const clock = new FakeClock(undefined, { autoAdvance: false });
    const controller = new AbortController();
    const { fn, attempts } = failing(transient(), transient());
    const running = retry(fn, { ...options(clock), signal: controller.signal });
    await vi.waitFor(() => expect(clock.pending).toBe(1));
    controller.abort(new Error('shutdown'));
    await expect(running).rejects.toThrow('shutdown');
    expect(attempts).toEqual([1]);
  });
});

describe('retriableDecision', () => {
  it('acts on the retriable flag and retryAfterMs alone', () => {
    expect(retriableDecision(transient())).toEqual({ retry: true });
    expect(retriableDecision(fatal())).toEqual({ retry: false });
    expect(retriableDecision(new Error('plain'))).toEqual({ retry: false });
    expect(retriableDecision(undefined)).toEqual({ retry: false });
    expect(retriableDecision({ retriable: true, retryAfterMs: 5 })).toEqual({ retry: true, waitMs: 5 });
  });
});
