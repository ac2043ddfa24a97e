import type { QuotaGate, QuotaPause, QuotaReservation } from '../marketo/types.ts';
import { USAGE_ENDPOINT } from './quota.ts';

/**
 * Permits handed out first come, first served. `acquire` waits for a free one (rejecting with the
 * signal's reason when it aborts first); `release` hands a permit to the longest waiter.
 */
interface Waiter {
  grant: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Permits {
  #free: number;
  readonly #waiters: Waiter[] = [];

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`permits: count must be ≥ 1, got ${count}`);
    this.#free = count;
  }

  /** Permits free now. */
  get free(): number {
    return this.#free;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#free > 0 && this.#waiters.length === 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (!next) {
      this.#free++;
      return;
    }
    if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
    next.grant();
  }
}

/**
 * One connection's share of its instance's quota: at most `limit` of the connection's calls hold a
 * reservation at once (its streams take turns first come, first served); behind that, the instance's
 * quota still decides on the daily budget, the pacing window and the in-flight slots that every
 * connection and process on the instance shares. So a connection's streams run side by side without
 * the connection taking every slot of an instance it shares with others. The read of Marketo's own
 * count (`stats/usage`) needs no permit: the quota makes it while another call of the connection
 * waits in `reserve` holding one.
 */
export class ConnectionShare implements QuotaGate {
  readonly #quota: QuotaGate;
  readonly #permits: Permits;

  constructor(quota: QuotaGate, limit: number) {
    this.#quota = quota;
    this.#permits = new Permits(limit);
  }

  /** Calls of the connection waiting for their turn. */
  get waiting(): number {
    return this.#permits.waiting;
  }

  async reserve(endpoint: string, signal?: AbortSignal): Promise<QuotaReservation> {
    if (endpoint === USAGE_ENDPOINT) return this.#quota.reserve(endpoint, signal);
    await this.#permits.acquire(signal);
    let reservation: QuotaReservation;
    try {
      reservation = await this.#quota.reserve(endpoint, signal);
    } catch (err) {
      this.#permits.release();
      throw err;
    }
    let released = false;
    return {
      date: reservation.date,
      release: async (outcome) => {
        try {
          await reservation.release(outcome);
        } finally {
          if (!released) {
            released = true;
            this.#permits.release();
          }
        }
      },
    };
  }

  exhaust(date?: string): Promise<QuotaPause> {
    return this.#quota.exhaust(date);
  }
}
