import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { ErrorCodes, hasCode, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MarketoUsage, QuotaPause } from '../marketo/types.ts';
import { asRedisUnavailable } from '../redis/errors.ts';
import { localDate, localDay, nextMidnight } from './day.ts';
import { quotaKeys } from './keys.ts';
import { RAISE_USED, RELEASE, RESERVE } from './scripts.ts';

/** Marketo's rate limit window. */
const WINDOW_MS = 20_000;
/** The day hash outlives its day by a day, for operators looking at yesterday. */
const DAY_TTL_SECONDS = 2 * 86_400;
/** The Marketo codes whose occurrences the day hash counts. */
const RECORDED_CODES = new Set(['606', '607', '615']);
/**
 * The endpoint of Marketo's own count (`stats/usage.json`). Its calls pass a 607 pause and an
 * unsynced day (they are how both get settled); the budget, window and in-flight limits still hold.
 */
export const USAGE_ENDPOINT = 'v1/stats/usage';

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
  /** After Marketo's 607, how long until a call probes whether it has reset (default 15 min). */
  recheckMs?: number;
  /**
   * A 607 pause also ends this long after the local midnight (default 2 min): Marketo's reset may
   * come late, or its clock lag ours.
   */
  resetMarginMs?: number;
  /**
   * Reads Marketo's own count (`stats/usage.json`, through the client, so it is reserved and counted
   * like any call). When given, the first reservation of a day whose count was never taken from
   * Marketo (a new day, or Redis lost its data) reads it first and raises the counter to it.
   */
  readUsage?: (signal?: AbortSignal) => Promise<MarketoUsage[]>;
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
  /** True while a 607 from Marketo marks the day as spent (until a call gets through again). */
  exhausted: boolean;
  /** ISO instant a call next probes whether Marketo reset, while `exhausted`. */
  recheckAt?: string;
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
  readonly #recheckMs: number;
  readonly #resetMarginMs: number;
  readonly #readUsage: QuotaOptions['readUsage'];
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
    this.#recheckMs = positiveInt(options.recheckMs ?? 15 * 60_000, 'recheckMs');
    this.#resetMarginMs = positiveInt(options.resetMarginMs ?? 2 * 60_000, 'resetMarginMs');
    this.#readUsage = options.readUsage;
  }

  /**
   * Waits until the 20 s window has room and an in-flight slot is free, then takes one unit of
   * today's budget. Throws MarketoStreamError QUOTA_EXHAUSTED (retriable, `retryAfterMs` = time
   * until the next local midnight) when the budget is spent, or until the next probe while a 607
   * pauses the day; REDIS_UNAVAILABLE (retriable) when Redis does not answer; the signal's reason
   * when aborted. With `readUsage`, a day whose count was never taken from Marketo is synced first.
   */
  async reserve(endpoint: string, signal?: AbortSignal): Promise<Reservation> {
    try {
      return await this.#reserve(endpoint, signal);
    } catch (err) {
      throw asRedisUnavailable(err);
    }
  }

  async #reserve(endpoint: string, signal?: AbortSignal): Promise<Reservation> {
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
        endpoint === USAGE_ENDPOINT ? '1' : '0',
        this.#slotTtlMs,
        this.#readUsage ? '1' : '0',
      )) as [number, number, number, number];
      if (state === 1) {
        if (waitingSince !== undefined) {
          this.#logger.debug({ endpoint, waitedMs: now - waitingSince }, 'quota slot acquired after waiting');
        }
        return this.#reservation(endpoint, date, token, at);
      }
      if (state === -3) {
        throw new MarketoStreamError(
          ErrorCodes.QUOTA_EXHAUSTED,
          `Marketo reported the daily quota of instance ${this.#instance} reached (607) for ${date}; a call probes again at ${new Date(at + waitMs).toISOString()}`,
          { retriable: true, retryAfterMs: Math.max(at + waitMs - now, 0) },
        );
      }
      if (state === -4) {
        await this.#syncFromMarketo(date, signal);
        continue;
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
      // The window's oldest call still in flight (-2 with no wait) and another caller's sync (-5)
      // end when something answers: poll those too.
      const poll = state === -1 || state === -5 || waitMs <= 0;
      const wakeAt = at + (poll ? Math.min(Math.max(waitMs, 1), this.#pollMs) : waitMs);
      await this.#clock.sleep(Math.max(wakeAt - this.#clock.now(), 0), signal);
    }
  }

  /**
   * Marketo said 607 to a call reserved on quota day `date` (default today): marks that day spent,
   * so every process pauses, until a probe (a call let through every `recheckMs`, and right after
   * the next local midnight plus `resetMarginMs`) gets through again. The day of the reservation,
   * not of the answer: a call sent at 23:59:59 whose 607 comes back after midnight leaves the new
   * day alone. Returns the end of the pause and the wait until it (none when `date` is not today).
   */
  async exhaust(date?: string): Promise<QuotaPause> {
    try {
      const now = this.#clock.now();
      const today = localDay(now, this.#timeZone);
      const day = date ?? today.date;
      const recheckAt = Math.min(
        now + this.#recheckMs,
        nextMidnight(now - this.#resetMarginMs, this.#timeZone) + this.#resetMarginMs,
      );
      const tx = this.#redis
        .multi()
        .hset(quotaKeys(this.#instance, day).day, {
          exhausted: new Date(now).toISOString(),
          exhaustedAt: now,
          pausedUntil: recheckAt,
          limit: this.#budget,
        })
        .hsetnx(quotaKeys(this.#instance, day).day, 'used', 0);
      if (day === today.date) tx.hsetnx(quotaKeys(this.#instance, day).day, 'resetAt', today.resetAt);
      await tx.expire(quotaKeys(this.#instance, day).day, DAY_TTL_SECONDS).exec();
      this.#logger.warn(
        { date: day, recheckAt: new Date(recheckAt).toISOString() },
        'Marketo reported its daily quota reached (607); pausing until a call probes again',
      );
      if (day !== today.date) return { resetAt: now, retryAfterMs: 0 };
      return { resetAt: recheckAt, retryAfterMs: recheckAt - now };
    } catch (err) {
      throw asRedisUnavailable(err);
    }
  }

  /**
   * Given a failure: when it is Marketo's 607 (QUOTA_EXHAUSTED with marketoCode 607), reads
   * Marketo's own count once (with `readUsage`; other integrations spend the same quota), raises
   * today's counter to it, and returns the error with the pause that follows: until the reset when
   * Marketo's count leaves none of our budget, else until the next probe. A failed read (Marketo
   * may refuse it with 607 too) only costs the figure. Any other error is returned unchanged.
   */
  async afterQuotaReached(err: unknown, signal?: AbortSignal): Promise<unknown> {
    if (!hasCode(err, ErrorCodes.QUOTA_EXHAUSTED) || err.marketoCode !== '607') return err;
    if (this.#readUsage) {
      const { date } = localDay(this.#clock.now(), this.#timeZone);
      await this.#syncFromMarketo(date, signal).catch((readErr: unknown) => {
        this.#logger.warn({ reason: (readErr as Error).message }, "could not read Marketo's own count after its 607");
      });
    }
    const retryAfterMs = await this.pausedFor().catch(() => err.retryAfterMs);
    return new MarketoStreamError(err.code, err.message, {
      retriable: true,
      marketoCode: err.marketoCode,
      requestId: err.requestId,
      status: err.status,
      retryAfterMs,
      cause: err.cause,
    });
  }

  /** How long from now until a reservation may go through (0 when it may now): a spent budget or a 607 pause. */
  async pausedFor(): Promise<number> {
    try {
      const now = this.#clock.now();
      const { date, resetAt } = localDay(now, this.#timeZone);
      const [used, exhausted, pausedUntil] = await this.#redis.hmget(
        quotaKeys(this.#instance, date).day,
        'used',
        'exhausted',
        'pausedUntil',
      );
      if (Number(used ?? 0) >= this.#budget) return resetAt - now;
      if (exhausted !== null) return Math.max(Number(pausedUntil ?? 0) - now, 0);
      return 0;
    } catch (err) {
      throw asRedisUnavailable(err);
    }
  }

  /**
   * Takes the day's count from Marketo (one counted call) and raises the counter to it. Around
   * midnight Marketo's day may still be the previous one: then ours starts from what we counted.
   * On failure the claim on the sync is given up, so the next reservation tries again.
   */
  async #syncFromMarketo(date: string, signal?: AbortSignal): Promise<void> {
    const { day } = quotaKeys(this.#instance, date);
    try {
      const usage = await this.#readUsage!(signal);
      const marketo = usage.find((u) => u.date === date);
      const { before, after } = await this.#raise(date, marketo?.total ?? 0);
      this.#logger.info({ date, marketo: marketo?.total ?? null, before, after }, "day's count taken from Marketo");
    } catch (err) {
      await this.#redis.hdel(day, 'syncClaim').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Raises today's count to `count` when it is lower, never lowers it: Marketo's own count
   * (`stats/usage.json`) includes calls of the customer's other integrations on the same quota.
   * Resolves with the count before and after.
   */
  async raiseUsed(count: number): Promise<{ date: string; before: number; after: number }> {
    const { date } = localDay(this.#clock.now(), this.#timeZone);
    const { before, after } = await this.#raise(date, count);
    if (after > before) this.#logger.info({ date, before, after }, "raised today's count to Marketo's own");
    return { date, before, after };
  }

  async #raise(date: string, count: number): Promise<{ before: number; after: number }> {
    const now = this.#clock.now();
    try {
      const [before, after] = (await this.#redis.eval(
        RAISE_USED,
        1,
        quotaKeys(this.#instance, date).day,
        Math.max(0, Math.floor(count)),
        this.#budget,
        localDay(now, this.#timeZone).resetAt,
        DAY_TTL_SECONDS,
        now,
      )) as [number, number];
      return { before, after };
    } catch (err) {
      throw asRedisUnavailable(err);
    }
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
    ]).catch((err: unknown) => {
      throw asRedisUnavailable(err);
    });
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
      ...(exhausted && day.pausedUntil !== undefined
        ? { recheckAt: new Date(Number(day.pausedUntil)).toISOString() }
        : {}),
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
          grantedAt,
          endpoint === USAGE_ENDPOINT ? '0' : '1',
        );
      },
    };
  }
}
