import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import {
  HEALTHY_RUN_MS,
  LEASE_LOST_RETRY_MS,
  needsAPerson,
  SUPERVISOR_BACKOFF,
  superviseConnection,
} from '../../src/runner/supervisor.ts';
import type { ConnectionStatusWriter, StateDetail, WrittenState } from '../../src/status/index.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { testLogger } from '../support/pipeline.ts';

/** Records what the supervisor writes (the Redis writer has its own integration test). */
function recordingStatus() {
  const writes: { state: WrittenState; reason?: string; nextRetryAt?: number }[] = [];
  const status = {
    set: async (state: WrittenState, detail: StateDetail = {}) => void writes.push({ state, ...detail }),
  } as unknown as ConnectionStatusWriter;
  return { status, writes };
}

const transient = () => new MarketoStreamError(ErrorCodes.UNAVAILABLE, 'Marketo error 502', { retriable: true });
const badCredentials = () =>
  new MarketoStreamError(ErrorCodes.AUTH_FAILED, 'Marketo identity refused the client credentials: HTTP 401');

describe('needsAPerson', () => {
  it('credentials, permissions and configuration need a person; transient and unknown errors do not', () => {
    expect(needsAPerson(badCredentials())).toBe(true);
    expect(needsAPerson(new MarketoStreamError(ErrorCodes.TOKEN_EXPIRED, '601 after refreshes'))).toBe(true);
    expect(needsAPerson(new MarketoStreamError(ErrorCodes.REQUEST_REJECTED, '603 Access denied'))).toBe(true);
    expect(needsAPerson(new MarketoStreamError(ErrorCodes.CREDENTIALS_REJECTED, 'Kafka SASL refused'))).toBe(true);
    expect(needsAPerson(new MarketoStreamError(ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE, 'no such type'))).toBe(true);
    expect(needsAPerson(transient())).toBe(false);
    expect(needsAPerson(new Error('Reached the max retries per request limit'))).toBe(false);
  });
});

describe('superviseConnection', () => {
  it('retries a run that failed transiently, any number of times, with jittered backoff, writing waiting', async () => {
    const clock = new FakeClock();
    const { status, writes } = recordingStatus();
    let runs = 0;
    const outcome = await superviseConnection({
      run: async () => {
        runs += 1;
        if (runs <= 8) throw runs % 2 ? transient() : new Error('ioredis: connection lost');
        return 'caught up';
      },
      status,
      clock,
      logger: testLogger(),
      signal: new AbortController().signal,
      failedRetryMs: 900_000,
      untilCaughtUp: true,
      random: () => 0.5,
    });
    expect(outcome).toEqual({ result: 'caught up' });
    expect(runs).toBe(9);
    expect(clock.sleeps).toHaveLength(8);
    expect(clock.sleeps[0]).toBe(SUPERVISOR_BACKOFF.baseDelayMs / 2);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(SUPERVISOR_BACKOFF.maxDelayMs);
    expect(writes.slice(0, 8).every((w) => w.state === 'waiting' && w.nextRetryAt !== undefined)).toBe(true);
    expect(writes.at(-1)?.state).toBe('stopped');
  });

  it('a failure that needs a person is written failed and retried every failedRetryMs, so a fix brings it back', async () => {
    const clock = new FakeClock();
    const started = clock.now();
    const { status, writes } = recordingStatus();
    const controller = new AbortController();
    let runs = 0;
    const outcome = await superviseConnection({
      run: async (signal) => {
        runs += 1;
        if (runs <= 3) throw badCredentials();
        // Fixed: this run goes on until the service stops.
        expect(signal.aborted).toBe(false);
        controller.abort();
        return 'stopped';
      },
      status,
      clock,
      logger: testLogger(),
      signal: controller.signal,
      failedRetryMs: 900_000,
    });
    expect(outcome).toEqual({ result: 'stopped' });
    expect(runs).toBe(4);
    expect(clock.sleeps.slice(0, 3)).toEqual([900_000, 900_000, 900_000]);
    const failed = writes.filter((w) => w.state === 'failed');
    expect(failed).toHaveLength(3);
    expect(failed[0]!.reason).toContain('refused the client credentials');
    expect(failed.map((w) => w.nextRetryAt)).toEqual([1, 2, 3].map((n) => started + n * 900_000));
    expect(writes.at(-1)).toMatchObject({ state: 'stopped', reason: 'service stopped' });
  });

  it('with untilCaughtUp a failure that needs a person ends supervision carrying the error, written failed', async () => {
    const { status, writes } = recordingStatus();
    const err = badCredentials();
    const outcome = await superviseConnection({
      run: async () => {
        throw err;
      },
      status,
      clock: new FakeClock(),
      logger: testLogger(),
      signal: new AbortController().signal,
      failedRetryMs: 900_000,
      untilCaughtUp: true,
    });
    expect(outcome).toEqual({ error: err });
    expect(writes).toEqual([{ state: 'failed', reason: err.message }]);
  });

  it('a run that ends while the service goes on (lease lost) is started again', async () => {
    const clock = new FakeClock();
    const { status, writes } = recordingStatus();
    const controller = new AbortController();
    let runs = 0;
    await superviseConnection({
      run: async () => {
        runs += 1;
        if (runs === 3) controller.abort();
        return runs;
      },
      status,
      clock,
      logger: testLogger(),
      signal: controller.signal,
      failedRetryMs: 900_000,
    });
    expect(runs).toBe(3);
    expect(writes.filter((w) => w.state === 'waiting')).toHaveLength(2);
    // Its next run waits for the lease anyway: no backoff piles up, however often it happens.
    expect(clock.sleeps).toEqual([LEASE_LOST_RETRY_MS, LEASE_LOST_RETRY_MS]);
  });

  it('a connection fenced by another worker’s producer runs again after the short wait too', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let runs = 0;
    await superviseConnection({
      run: async () => {
        runs += 1;
        if (runs === 4) controller.abort();
        else throw new MarketoStreamError(ErrorCodes.FENCED, 'another producer took over');
        return runs;
      },
      status: recordingStatus().status,
      clock,
      logger: testLogger(),
      signal: controller.signal,
      failedRetryMs: 900_000,
      random: () => 0.5,
    });
    expect(clock.sleeps).toEqual([LEASE_LOST_RETRY_MS, LEASE_LOST_RETRY_MS, LEASE_LOST_RETRY_MS]);
  });

  it('the backoff starts again from its first step after a healthy run', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let runs = 0;
    await superviseConnection({
      run: async () => {
        runs += 1;
        if (runs === 6) clock.advance(HEALTHY_RUN_MS); // a run that went well for a while, then failed
        if (runs === 8) controller.abort();
        throw transient();
      },
      status: recordingStatus().status,
      clock,
      logger: testLogger(),
      signal: controller.signal,
      failedRetryMs: 900_000,
      random: () => 0.5,
    }).catch(() => undefined);
    const step = (n: number) =>
      Math.min(SUPERVISOR_BACKOFF.maxDelayMs, SUPERVISOR_BACKOFF.baseDelayMs * 2 ** (n - 1)) / 2;
    expect(clock.sleeps).toEqual([step(1), step(2), step(3), step(4), step(5), step(1), step(2)]);
  });
});
