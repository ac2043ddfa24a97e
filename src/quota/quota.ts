import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { QuotaPause } from '../marketo/types.ts';
import { localDate, localDay } from './day.ts';
import { quotaKeys } from './keys.ts';
import { RAISE_USED, RELEASE, RESERVE } from './scripts.ts';

/** Marketo's rate limit window. */
const WINDOW_MS = 20_000;
/** The day hash outlives its day by a day, for operators looking at yesterday. */
const DAY_TTL_SECONDS = 2 * 86_400;
/** The Marketo codes whose occurrences the day hash counts. */
const RECORDED_CODES = new Set(['606', '607', '615']);

/** Options of {@link Quota}. */
export interface QuotaOptions {
  redis: Redis;
  /** The Marketo instance (Munchkin id): every process and connection on it shares one budget. */
  instance: string;
  /** Calls this service may make per day on the instance. */
  dailyBudget: number;
  /** Calls per sliding 20 s window across all processes (default 50; Marketo's hard limit is 100). */
  ratePer20s?: number;
  /** Calls in flight across all processes (default 10, Marketo's hard limit). */
  maxInFlight?: number;
  /** Zone whose midnight starts a new quota day (default America/Chicago). */
  timeZone?: string;
  clock: Clock;
  logger: Logger;
  /** Prefix of this process's slot tokens (default a random UUID); shows who holds slots. */
  holderId?: string;
  /** A slot not released within this time is freed anyway (a crashed holder; default 60 s). */
  slotTtlMs?: number;
  /** How often to look again for a free in-flight slot (default 100 ms). */
  pollMs?: number;
}

/** What Marketo made of a call, told to {@link Reservation.release}. */
export interface ReleaseOutcome {
  /** False when Marketo did not count the call (6xx/7xx errors, no response at all): the unit is given back. */
  counted: boolean;
  /** Marketo's error code, when it sent one (606/607/615 are counted for operators). */
  marketoCode?: string;
}

/** One call's claim on the budget and an in-flight slot. Release it exactly once (later calls are no-ops). */
export interface Reservation {
  readonly endpoint: string;
  /** The quota day (YYYY-MM-DD) the unit was taken from. */
  readonly date: string;
  /** The instant (epoch ms) the pacing window admitted the call at: the caller's clock, or the window's newest call if later. */
  readonly grantedAt: number;
  /** Frees the in-flight slot; gives the daily unit back when `counted` is false. */
  release(outcome: ReleaseOutcome): Promise<void>;
}

/** The quota as operators see it (`status()`). */
export interface QuotaStatus {
  instance: string;
  /** The quota day, YYYY-MM-DD in the quota's time zone. */
  date: string;
  used: number;
  limit: number;
  remaining: number;
  /** True once a 607 from Marketo marked the day as spent. */
  exhausted: boolean;
  /** ISO instant of the next reset (local midnight). */
  resetsAt: string;
  /** Counted calls per endpoint name. */
  byEndpoint: Record<string, number>;
  errors: { '606': number; '607': number; '615': number };
  /** Calls reserved in the current 20 s window, and its size. */
  window: { calls: number; limit: number };
  /** Calls in flight now, and the limit. */
  inFlight: { calls: number; limit: number };
}

function positiveInt(value: number, field: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new MarketoStreamError(
      ErrorCodes.CONFIG_INVALID,
      `quota: ${field} must be a positive integer, got ${value}`,
      {
        field,
      },
    );
  }
  return value;
}

/**
 * The daily budget, the 20 s pacing window and the in-flight semaphore of one Marketo instance,
 * kept in Redis so every process sharing the instance obeys them together. Each decision is one Lua
 * script, so concurrent processes can never overspend the budget.
 */
export class Quota {
  readonly #redis: Redis;
  readonly #instance: string;
  readonly #budget: number;
  readonly #rate: number;
  readonly #maxInFlight: number;
  readonly #timeZone: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #holderId: string;
  readonly #slotTtlMs: number;
  readonly #pollMs: number;
  #seq = 0;

  constructor(options: QuotaOptions) {
    this.#redis = options.redis;
    if (!options.instance) {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, 'quota: instance is required', { field: 'instance' });
    }
    this.#instance = options.instance;
    this.#budget = positiveInt(options.dailyBudget, 'dailyBudget');
    this.#rate = positiveInt(options.ratePer20s ?? 50, 'ratePer20s');
    this.#maxInFlight = positiveInt(options.maxInFlight ?? 10, 'maxInFlight');
    this.#timeZone = options.timeZone ?? 'America/Chicago';
    localDate(0, this.#timeZone); // throws RangeError early on an unknown zone
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'quota', instance: options.instance });
    this.#holderId = options.holderId ?? randomUUID();
    this.#slotTtlMs = positiveInt(options.slotTtlMs ?? 60_000, 'slotTtlMs');
    this.#pollMs = positiveInt(options.pollMs ?? 100, 'pollMs');
  }

  /**
   * Waits until the 20 s window has room and an in-flight slot is free, then takes one unit of
   * today's budget. Throws MarketoStreamError QUOTA_EXHAUSTED (retriable, `retryAfterMs` = time
   * until the next local midnight) when the budget is spent, or the signal's reason when aborted.
   */
  async reserve(endpoint: string, signal?: AbortSignal): Promise<Reservation> {
    let waitingSince: number | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#clock.now();
      const { date, resetAt } = localDay(now, this.#timeZone);
      const keys = quotaKeys(this.#instance, date);
      const token = `${this.#holderId}:${++this.#seq}`;
      const [state, used, waitMs, at] = (await this.#redis.eval(
        RESERVE,
        3,
        keys.day,
        keys.rate,
        keys.inflight,
        now,
        WINDOW_MS,
        this.#rate,
        this.#maxInFlight,
        token,
        now + this.#slotTtlMs,
        this.#budget,
        resetAt,
        DAY_TTL_SECONDS,
        endpoint,
        WINDOW_MS + this.#slotTtlMs,
      )) as [number, number, number, number];
      if (state === 1) {
        if (waitingSince !== undefined) {
          this.#logger.debug({ endpoint, waitedMs: now - waitingSince }, 'quota slot acquired after waiting');
        }
        return this.#reservation(endpoint, date, token, at);
      }
      if (state === 0) {
        const retryAfterMs = resetAt - now;
        this.#logger.warn(
          { endpoint, date, used, limit: this.#budget, resetsAt: new Date(resetAt).toISOString() },
          'daily Marketo budget spent; pausing until the reset',
        );
        throw new MarketoStreamError(
          ErrorCodes.QUOTA_EXHAUSTED,
          `daily API budget of instance ${this.#instance} is spent for ${date} (${used}/${this.#budget} used); resets at ${new Date(resetAt).toISOString()}`,
          { retriable: true, retryAfterMs },
        );
      }
      waitingSince ??= now;
      // A full in-flight set frees up on release (not only on expiry), so poll; a full window frees
      // exactly when its oldest call turns 20 s old. The wait counts from the time the script judged
      // for, so time spent on the reply is not waited twice.
      const wakeAt = at + (state === -1 ? Math.min(Math.max(waitMs, 1), this.#pollMs) : Math.max(waitMs, 1));
      await this.#clock.sleep(Math.max(wakeAt - this.#clock.now(), 0), signal);
    }
  }

  /**
   * Marks today's budget as spent (Marketo said 607): every process pauses until the reset. Returns
   * that reset and the wait until it, so the caller need not know how quota days are counted.
   */
  async exhaust(): Promise<QuotaPause> {
    const now = this.#clock.now();
    const { date, resetAt } = localDay(now, this.#timeZone);
    const { day } = quotaKeys(this.#instance, date);
    await this.#redis
      .multi()
      .hset(day, 'exhausted', new Date(now).toISOString(), 'limit', this.#budget, 'resetAt', resetAt)
      .hsetnx(day, 'used', 0)
      .expire(day, DAY_TTL_SECONDS)
      .exec();
    this.#logger.warn(
      { date, resetsAt: new Date(resetAt).toISOString() },
      'Marketo reported its daily quota reached (607)',
    );
    return { resetAt, retryAfterMs: resetAt - now };
  }

  /**
   * Raises today's count to `count` when it is lower, never lowers it: Marketo's own count
   * (`stats/usage.json`) includes calls of the customer's other integrations on the same quota.
   * Resolves with the count before and after.
   */
  async raiseUsed(count: number): Promise<{ date: string; before: number; after: number }> {
    const { date, resetAt } = localDay(this.#clock.now(), this.#timeZone);
    const [before, after] = (await this.#redis.eval(
      RAISE_USED,
      1,
      quotaKeys(this.#instance, date).day,
      Math.max(0, Math.floor(count)),
      this.#budget,
      resetAt,
      DAY_TTL_SECONDS,
    )) as [number, number];
    if (after > before) this.#logger.info({ date, before, after }, "raised today's count to Marketo's own");
    return { date, before, after };
  }

  /** Today's figures, for operators and health checks. */
  async status(): Promise<QuotaStatus> {
    const now = this.#clock.now();
    const { date, resetAt } = localDay(now, this.#timeZone);
    const keys = quotaKeys(this.#instance, date);
    const [day, windowCalls, inFlight] = await Promise.all([
      this.#redis.hgetall(keys.day),
      this.#redis.zcount(keys.rate, `(${now - WINDOW_MS}`, '+inf'),
      this.#redis.zcount(keys.inflight, `(${now}`, '+inf'),
    ]);
    const used = Number(day.used ?? 0);
    const limit = Number(day.limit ?? this.#budget);
    const exhausted = day.exhausted !== undefined;
    const byEndpoint: Record<string, number> = {};
    for (const [field, value] of Object.entries(day)) {
      if (field.startsWith('ep:')) byEndpoint[field.slice(3)] = Number(value);
    }
    return {
      instance: this.#instance,
      date,
      used,
      limit,
      remaining: exhausted ? 0 : Math.max(0, limit - used),
      exhausted,
      resetsAt: new Date(resetAt).toISOString(),
      byEndpoint,
      errors: {
        '606': Number(day['err:606'] ?? 0),
        '607': Number(day['err:607'] ?? 0),
        '615': Number(day['err:615'] ?? 0),
      },
      window: { calls: windowCalls, limit: this.#rate },
      inFlight: { calls: inFlight, limit: this.#maxInFlight },
    };
  }

  #reservation(endpoint: string, date: string, token: string, grantedAt: number): Reservation {
    let released = false;
    const keys = quotaKeys(this.#instance, date);
    return {
      endpoint,
      date,
      grantedAt,
      release: async (outcome: ReleaseOutcome) => {
        if (released) return;
        released = true;
        const code = outcome.marketoCode;
        await this.#redis.eval(
          RELEASE,
          3,
          keys.day,
          keys.inflight,
          keys.rate,
          token,
          outcome.counted ? '1' : '0',
          endpoint,
          code && RECORDED_CODES.has(code) ? `err:${code}` : '',
          DAY_TTL_SECONDS,
          this.#clock.now(),
        );
      },
    };
  }
}
