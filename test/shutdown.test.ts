import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/log.ts';
import { stopOnSignals } from '../src/shutdown.ts';

const logger = createLogger({ level: 'silent' });
const disposers: (() => void)[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
  vi.useRealTimers();
});

describe('stopOnSignals', () => {
  it('aborts at the first signal and forces the exit (code 1) when the grace time runs out', () => {
    const controller = new AbortController();
    const exit = vi.fn();
    disposers.push(stopOnSignals({ controller, logger, graceMs: 9_000, exit }));
    process.emit('SIGTERM', 'SIGTERM');
    expect(controller.signal.aborted).toBe(true);
    vi.advanceTimersByTime(8_999);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('does not force an exit once the service has ended in time', () => {
    const controller = new AbortController();
    const exit = vi.fn();
    const dispose = stopOnSignals({ controller, logger, graceMs: 9_000, exit });
    process.emit('SIGINT', 'SIGINT');
    vi.advanceTimersByTime(5_000);
    dispose();
    vi.advanceTimersByTime(60_000);
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits at once on a second signal', () => {
    const controller = new AbortController();
    const exit = vi.fn();
    disposers.push(stopOnSignals({ controller, logger, graceMs: 9_000, exit }));
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
  });
});
