import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { type ConnectionState, connectionStatusKey } from './connection-status.ts';

/** The states a supervised connection is written in (`unknown` is only what readers show). */
export type WrittenState = Exclude<ConnectionState, 'unknown' | 'paused'>;

/** What accompanies a state: why, and when the next attempt is due (epoch ms on the clock). */
export interface StateDetail {
  reason?: string;
  nextRetryAt?: number;
}

/** Longest `reason` written (a failure's message can be long; the status is for a glance). */
const MAX_REASON = 500;

/**
 * Writes a connection's supervision status to `mkto:{<connection>}:status` (a hash: `state`,
 * `reason`, `since`, `nextRetryAt`, the shape `readConnectionStatus` reads). `since` moves only when
 * the state changes; an unchanged status is not written again. A failed write is logged and
 * swallowed: the status is for operators and must never stop the connection.
 */
export class ConnectionStatusWriter {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  #last: { state: WrittenState; since: string; reason?: string; nextRetryAt?: string } | undefined;
  /** Writes run one after the other, in call order (a caller may not await). */
  #queue: Promise<void> = Promise.resolve();

  constructor(o: { redis: Redis; connection: string; clock: Clock; logger: Logger }) {
    this.#redis = o.redis;
    this.#key = connectionStatusKey(o.connection);
    this.#clock = o.clock;
    this.#log = o.logger;
  }

  /**
   * Records `state` (with its reason and next retry); resolves once written, or after logging why
   * not. Calls are written in the order they were made, even when not awaited.
   */
  set(state: WrittenState, detail: StateDetail = {}): Promise<void> {
    const at = this.#clock.now();
    this.#queue = this.#queue.then(() => this.#write(state, detail, at));
    return this.#queue;
  }

  async #write(state: WrittenState, detail: StateDetail, at: number): Promise<void> {
    const reason = detail.reason?.slice(0, MAX_REASON);
    const nextRetryAt = detail.nextRetryAt === undefined ? undefined : new Date(detail.nextRetryAt).toISOString();
    const last = this.#last;
    if (last && last.state === state && last.reason === reason && last.nextRetryAt === nextRetryAt) return;
    const since = last?.state === state ? last.since : new Date(at).toISOString();
    const fields: Record<string, string> = { state, since };
    if (reason) fields.reason = reason;
    if (nextRetryAt) fields.nextRetryAt = nextRetryAt;
    try {
      await this.#redis.multi().del(this.#key).hset(this.#key, fields).exec();
      this.#last = { state, since, reason, nextRetryAt };
    } catch (err) {
      this.#log.warn({ err, state }, 'could not write the connection status');
    }
  }
}
