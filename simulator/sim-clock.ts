/** A time source the simulator can follow (e.g. the FakeClock a test shares with the service). */
export interface TimeSource {
  now(): number;
}

/**
 * The simulator's clock. World visibility, token lifetimes, the 20 s rate window and the Central
 * date of the daily quota all read it; nothing in the simulator reads Date.now() for world logic.
 * Modes: 'running' ticks with real time from the initial instant, 'frozen' moves only when told,
 * or follow an external TimeSource. `set`/`advance` shift it in every mode.
 */
export class SimClock {
  #offset: number;
  #source: TimeSource;

  constructor(initialMs: number, mode: 'running' | 'frozen' | TimeSource = 'running') {
    if (mode === 'frozen') this.#source = { now: () => 0 };
    else if (mode === 'running') this.#source = { now: () => performance.now() };
    else this.#source = mode;
    this.#offset = initialMs - this.#source.now();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return Math.floor(this.#source.now() + this.#offset);
  }

  /** Jumps to `ms` (epoch). */
  set(ms: number): void {
    this.#offset = ms - this.#source.now();
  }

  /** Moves forward (or back, when negative) by `ms`. */
  advance(ms: number): void {
    this.#offset += ms;
  }
}
