/**
 * A limit on how many tasks of one process run at once, in arrival order. Waiting costs nothing
 * but a queued callback; a waiter whose signal aborts leaves the queue.
 */
export class Slots {
  readonly #limit: number;
  #busy = 0;
  #queue: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`slots: limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Tasks running now. */
  get busy(): number {
    return this.#busy;
  }

  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts while waiting. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#take(signal);
    try {
      return await task();
    } finally {
      this.#busy--;
      this.#queue.shift()?.();
    }
  }

  #take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#busy < this.#limit) {
      this.#busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        signal?.removeEventListener('abort', leave);
        this.#busy++;
        resolve();
      };
      const leave = () => {
        this.#queue = this.#queue.filter((t) => t !== turn);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#queue.push(turn);
    });
  }
}

/**
 * How many connections of one process rebuild their streams at once (each reads the checkpoint
 * topic and its look-back window through consumers of its own, registers schemas and asks Marketo
 * for its types and fields). A fleet worker that is assigned dozens of connections at once (its
 * start, a rebalance, a take-over) would otherwise do all of it at the same moment, time its
 * Kafka reads out and stall its event loop long enough to lose its leases.
 */
export const STREAM_SET_UP_CONCURRENCY = 4;

/** The process's slots for rebuilding a connection's streams. */
export const streamSetUpSlots = new Slots(STREAM_SET_UP_CONCURRENCY);
