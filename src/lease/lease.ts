import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { redisCall } from '../redis/errors.ts';

// Extend or drop the lease only while we still hold it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  redis: Redis;
  connection: string;
  logger: Logger;
  /** Who holds it (shown to operators); unique per worker. */
  holderId?: string;
  /** Lifetime of the lease; it is renewed every third of it. Default 30 s. */
  ttlMs?: number;
}

/** The Redis key of a connection's lease. */
/** The Redis key naming the worker that holds `connection` (read by operators' tools). */
export const leaseKey = (connection: string) => `mkto:{${connection}}:lease`;

/**
 * Which worker owns a connection, when several processes share the connections. Only the holder
 * pulls; it renews the lease every ttl/3, and if the lease is lost (Redis lost it, or the process
 * stalled past the ttl) `lost` aborts so the worker stops. A worker that kept going anyway is
 * fenced by Kafka: the new holder's transactional producer bumps the epoch. Leases live in
 * Redis's real time, so this uses real timers, not the injected clock.
 */
export class ConnectionLease {
  readonly holderId: string;
  readonly key: string;
  #redis: Redis;
  #ttlMs: number;
  #log: Logger;
  #timer?: NodeJS.Timeout;
  #lost = new AbortController();

  constructor(o: LeaseOptions) {
    this.#redis = o.redis;
    this.key = leaseKey(o.connection);
    this.holderId = o.holderId ?? `${process.pid}-${randomUUID()}`;
    this.#ttlMs = o.ttlMs ?? 30_000;
    this.#log = o.logger.child({ component: 'lease', connection: o.connection, holder: this.holderId });
  }

  /** Aborts when the lease is lost after it was acquired. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /**
   * Waits until this worker holds the lease (or `signal` aborts: then resolves false). Rejects with
   * the retriable REDIS_UNAVAILABLE when Redis does not answer.
   */
  async acquire(signal: AbortSignal): Promise<boolean> {
    return redisCall(() => this.#acquire(signal));
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    let logged = false;
    while (!signal.aborted) {
      if ((await this.#redis.set(this.key, this.holderId, 'PX', this.#ttlMs, 'NX')) === 'OK') {
        this.#timer = setInterval(() => void this.#renew(), Math.max(1, Math.floor(this.#ttlMs / 3)));
        this.#timer.unref();
        this.#log.info('lease acquired');
        return true;
      }
      if (!logged) {
        this.#log.info({ owner: await this.#redis.get(this.key) }, 'connection leased by another worker; waiting');
        logged = true;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(this.#ttlMs / 3))));
    }
    return false;
  }

  /**
   * Renews the lease now and says whether it is still this worker's: false (and `lost` aborts) when
   * it expired or another worker holds it. Rejects with the retriable REDIS_UNAVAILABLE when Redis
   * does not answer. A worker calls it before it takes the transactional id over again (a
   * reconnect), so that it never fences a worker that took the connection over meanwhile.
   */
  async confirm(): Promise<boolean> {
    if (this.#lost.signal.aborted) return false;
    const held = await redisCall(() => this.#redis.eval(RENEW, 1, this.key, this.holderId, this.#ttlMs));
    if (held === 1) return true;
    this.#log.warn('lease lost; stopping this connection');
    clearInterval(this.#timer);
    this.#lost.abort();
    return false;
  }

  async #renew(): Promise<void> {
    try {
      if ((await this.#redis.eval(RENEW, 1, this.key, this.holderId, this.#ttlMs)) === 1) return;
      this.#log.warn('lease lost; stopping this connection');
    } catch (err) {
      // Without Redis we cannot know: keep the lease until it would have expired, then give up.
      this.#log.warn({ err }, 'could not renew the lease');
      return;
    }
    clearInterval(this.#timer);
    this.#lost.abort();
  }

  /** Gives the lease up (only if still ours). */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#redis.eval(RELEASE, 1, this.key, this.holderId).catch(() => undefined);
  }
}
