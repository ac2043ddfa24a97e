import type { Publisher } from '../producer/index.ts';

/**
 * A wait between passes at least this long lets the connection's producer go (its broker
 * connections, buffers and metadata), so an idle connection costs little memory; shorter waits
 * keep it, since connecting again costs a few broker round trips.
 */
export const RELEASE_PRODUCER_MIN_IDLE_MS = 30_000;

/**
 * Lets a connection's producer go while none of its streams is in a pass, and takes it back before
 * the next pass. Taking it back connects again, which takes the transactional id over and would
 * fence a worker that took the connection over meanwhile: so it connects only after `confirm`
 * (the lease, renewed) says the connection is still this worker's; when it is not, it stays
 * released (the lost lease stops the run). Concurrent callers share one release and one resume.
 */
export class IdleProducer {
  readonly #publisher: Publisher;
  readonly #confirm: () => Promise<boolean>;
  #released = false;
  #resuming: Promise<void> | undefined;

  constructor(publisher: Publisher, confirm: () => Promise<boolean>) {
    this.#publisher = publisher;
    this.#confirm = confirm;
  }

  /** Disconnects the producer, unless it is already released. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#publisher.disconnect();
  }

  /** Connects the producer again if it was released and the lease is still held; rejects if connecting fails (retry it). */
  resume(): Promise<void> {
    if (!this.#released) return Promise.resolve();
    this.#resuming ??= (async () => {
      try {
        if (!(await this.#confirm())) return;
        await this.#publisher.connect();
        this.#released = false;
      } finally {
        this.#resuming = undefined;
      }
    })();
    return this.#resuming;
  }
}
