import type { Publisher } from '../producer/index.ts';
import type { PublishBatch, PublishResult } from '../producer/publisher.ts';

/** How long publishes waited for the ones ahead of them (what queueing on one producer costs). */
export interface PublishQueueStats {
  publishes: number;
  waitedMs: number;
  maxWaitMs: number;
}

/**
 * A connection's one transactional publisher shared by its streams, which run side by side: every
 * call (connect, publish, disconnect) waits until the calls before it have settled, so one
 * transaction is open at a time and each page still commits together with its own checkpoint. A
 * call that fails does not hold back those after it.
 */
export class PublishQueue implements Publisher {
  readonly #publisher: Publisher;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #stats: PublishQueueStats = { publishes: 0, waitedMs: 0, maxWaitMs: 0 };

  constructor(publisher: Publisher) {
    this.#publisher = publisher;
  }

  /** Figures so far (a copy). */
  get stats(): PublishQueueStats {
    return { ...this.#stats };
  }

  connect(): Promise<void> {
    return this.#enqueue(() => this.#publisher.connect());
  }

  publish(batch: PublishBatch): Promise<PublishResult> {
    const queuedAt = performance.now();
    return this.#enqueue(() => {
      const waited = performance.now() - queuedAt;
      this.#stats.publishes++;
      this.#stats.waitedMs += waited;
      this.#stats.maxWaitMs = Math.max(this.#stats.maxWaitMs, waited);
      return this.#publisher.publish(batch);
    });
  }

  disconnect(): Promise<void> {
    return this.#enqueue(() => this.#publisher.disconnect());
  }

  #enqueue<T>(call: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(call, call);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
