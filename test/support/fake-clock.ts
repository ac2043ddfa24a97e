import type { Clock } from '../../src/clock.ts';

interface Timer {
  at: number;
  resolve: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A Clock for tests. Time only moves when someone sleeps (auto-advance: after pending I/O callbacks,
 * time jumps to the earliest sleeper's deadline and wakes it) or when the test calls `advance`/`set`.
 * Every requested sleep is recorded in `sleeps`, so tests can assert backoff delays without waiting.
 */
export class FakeClock implements Clock {
  /** Every `sleep(ms)` requested, in order. */
  readonly sleeps: number[] = [];
  #now: number;
  #timers: Timer[] = [];
  #pumpScheduled = false;
  #autoAdvance: boolean;

  constructor(start: number | string = Date.parse('2026-01-15T12:00:00Z'), options: { autoAdvance?: boolean } = {}) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start;
    this.#autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer: Timer = { at: this.#now + ms, resolve, signal };
      if (signal) {
        timer.onAbort = () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          resolve();
        };
        signal.addEventListener('abort', timer.onAbort, { once: true });
      }
      this.#timers.push(timer);
      this.#schedulePump();
    });
  }

  /** Moves time forward by `ms` and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  /** Sets the time (never backwards) and wakes every sleeper whose deadline has passed. */
  set(at: number | string): void {
    const t = typeof at === 'string' ? Date.parse(at) : at;
    if (t < this.#now) throw new Error('FakeClock cannot go backwards');
    this.#now = t;
    const due = this.#timers.filter((timer) => timer.at <= t);
    this.#timers = this.#timers.filter((timer) => timer.at > t);
    for (const timer of due) {
      if (timer.onAbort) timer.signal?.removeEventListener('abort', timer.onAbort);
      timer.resolve();
    }
  }

  /** Number of sleepers still waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  #schedulePump(): void {
    if (!this.#autoAdvance || this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // setImmediate runs after pending I/O callbacks, so work that is merely waiting on a socket gets
    // to run before time jumps.
    setImmediate(() => {
      this.#pumpScheduled = false;
      if (this.#timers.length === 0) return;
      const earliest = Math.min(...this.#timers.map((timer) => timer.at));
      this.set(Math.max(earliest, this.#now));
      if (this.#timers.length > 0) this.#schedulePump();
    });
  }
}
