import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { localDay } from '../quota/day.ts';
import { CLAIM, SETTLE } from './budget-scripts.ts';

/**
 * Bytes in one MB of the export budget. Marketo states its allocation (500 MB a day by default) in
 * MB without saying which; the decimal MB is the smaller one, so a budget counted in it stays within
 * Marketo's allocation whichever Marketo means.
 */
export const BYTES_PER_MB = 1_000_000;

/** The day hash outlives its day by a day, for operators looking at yesterday. */
const DAY_TTL_SECONDS = 2 * 86_400;

/** Options of {@link ExportBudget}. */
export interface ExportBudgetOptions {
  redis: Redis;
  /** The Marketo instance (Munchkin id): every worker and connection on it shares one budget. */
  instance: string;
  /** Export MB per day the instance is allowed (BULK_DAILY_MB; Marketo's default is 500). */
  dailyMb: number;
  /** MB per day left for the customer's other exports (BULK_RESERVE_MB). */
  reserveMb: number;
  /** Jobs of this service queued or processing at once on the instance (BULK_MAX_JOBS, ≤ 10). */
  maxJobs: number;
  clock: Clock;
  logger: Logger;
  /** Zone whose midnight resets the export quota (default America/Chicago). */
  timeZone?: string;
  /** A slot not renewed within this time is freed (its worker died; default 6 h). */
  slotTtlMs?: number;
  /** Wait suggested when every slot is taken (default 60 000 ms: a job's status moves once a minute at most). */
  slotWaitMs?: number;
}

/** The export budget as operators see it. */
export interface ExportBudgetStatus {
  instance: string;
  /** The export day, YYYY-MM-DD in the quota's zone. */
  date: string;
  usedMb: number;
  limitMb: number;
  reserveMb: number;
  /** MB this service may still export today (limit − reserve − used, not below 0). */
  remainingMb: number;
  /** True once Marketo answered `1029 Export daily quota exceeded` today. */
  exhausted: boolean;
  /** Our jobs in flight (claimed slots), and the limit. */
  jobs: { inFlight: number; limit: number };
  /** ISO instant of the next reset (local midnight). */
  resetsAt: string;
}

/**
 * The Bulk Extract budget of one Marketo instance in Redis, beside its call quota:
 * `mkto:{<instance>}:bulk:<YYYY-MM-DD>` (hash: usedBytes, limitBytes, reserveBytes, resetAt,
 * exhausted, job:<exportId> → fileSize) for the day's exported bytes, reset at Central midnight; and
 * `mkto:{<instance>}:bulk:jobs` (hash: job key → "<estimated bytes>:<expires at ms>") for our jobs in
 * flight. Claiming a slot and settling a job are each one Lua script, so every worker obeys both
 * limits together.
 */
export class ExportBudget {
  readonly #redis: Redis;
  readonly #instance: string;
  readonly #limitBytes: number;
  readonly #reserveBytes: number;
  readonly #maxJobs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timeZone: string;
  readonly #slotTtlMs: number;
  readonly #slotWaitMs: number;

  constructor(options: ExportBudgetOptions) {
    if (!(options.dailyMb > 0) || !(options.reserveMb >= 0) || options.reserveMb >= options.dailyMb) {
      throw new MarketoStreamError(
        ErrorCodes.CONFIG_INVALID,
        `export budget: reserveMb (${options.reserveMb}) must be ≥ 0 and below dailyMb (${options.dailyMb})`,
        { field: 'bulk.reserveMb' },
      );
    }
    if (!Number.isInteger(options.maxJobs) || options.maxJobs < 1 || options.maxJobs > 10) {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, 'export budget: maxJobs must be 1 to 10', {
        field: 'bulk.maxJobs',
      });
    }
    this.#redis = options.redis;
    this.#instance = options.instance;
    this.#limitBytes = Math.round(options.dailyMb * BYTES_PER_MB);
    this.#reserveBytes = Math.round(options.reserveMb * BYTES_PER_MB);
    this.#maxJobs = options.maxJobs;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'export-budget', instance: options.instance });
    this.#timeZone = options.timeZone ?? 'America/Chicago';
    this.#slotTtlMs = options.slotTtlMs ?? 6 * 3600_000;
    this.#slotWaitMs = options.slotWaitMs ?? 60_000;
  }

  #keys(now: number): { day: string; jobs: string; date: string; resetAt: number } {
    const { date, resetAt } = localDay(now, this.#timeZone);
    return {
      day: `mkto:{${this.#instance}}:bulk:${date}`,
      jobs: `mkto:{${this.#instance}}:bulk:jobs`,
      date,
      resetAt,
    };
  }

  /**
   * Takes a job slot for `jobKey` (e.g. the connection, group and window: the same key after a
   * restart takes back its own slot) if today's export budget has room for `estimateBytes` more
   * (0 when unknown) beside what is used and what the jobs in flight are expected to use. Call it
   * before creating a job, and again while waiting on it (it renews the slot). Throws
   * MarketoStreamError BULK_WAIT (retriable) with `retryAfterMs`: until the next Central midnight
   * when the budget is spent, `slotWaitMs` when every slot is taken.
   */
  async claim(jobKey: string, estimateBytes = 0): Promise<void> {
    const now = this.#clock.now();
    const k = this.#keys(now);
    const [state, used, inFlight] = (await this.#redis.eval(
      CLAIM,
      2,
      k.day,
      k.jobs,
      now,
      this.#limitBytes,
      this.#reserveBytes,
      this.#maxJobs,
      jobKey,
      Math.max(0, Math.round(estimateBytes)),
      now + this.#slotTtlMs,
      k.resetAt,
      DAY_TTL_SECONDS,
      this.#slotTtlMs,
    )) as [number, number, number];
    if (state === 1) return;
    if (state === 0) {
      const retryAfterMs = k.resetAt - now;
      this.#logger.info(
        { jobKey, date: k.date, usedMb: used / BYTES_PER_MB, resetsAt: new Date(k.resetAt).toISOString() },
        'export budget spent for today; bulk jobs wait for the reset',
      );
      throw new MarketoStreamError(
        ErrorCodes.BULK_WAIT,
        `export budget of instance ${this.#instance} is spent for ${k.date} (${(used / BYTES_PER_MB).toFixed(1)} of ${((this.#limitBytes - this.#reserveBytes) / BYTES_PER_MB).toFixed(1)} MB, in flight included); resets at ${new Date(k.resetAt).toISOString()}`,
        { retriable: true, retryAfterMs },
      );
    }
    throw new MarketoStreamError(
      ErrorCodes.BULK_WAIT,
      `all ${this.#maxJobs} bulk job slots of instance ${this.#instance} are taken (${inFlight} in flight)`,
      { retriable: true, retryAfterMs: this.#slotWaitMs },
    );
  }

  /**
   * Job `jobKey` completed as export `exportId` with `fileSize` bytes: frees its slot and adds the
   * bytes to the day it finished (`finishedAt`, default now), once per exportId.
   */
  async complete(jobKey: string, exportId: string, fileSize: number, finishedAt?: number): Promise<void> {
    const k = this.#keys(finishedAt ?? this.#clock.now());
    await this.#redis.eval(
      SETTLE,
      2,
      k.day,
      k.jobs,
      jobKey,
      exportId,
      fileSize,
      this.#limitBytes,
      this.#reserveBytes,
      k.resetAt,
      DAY_TTL_SECONDS,
    );
  }

  /** Frees the slot of a job that failed, was cancelled or was never enqueued (nothing is metered). */
  async release(jobKey: string): Promise<void> {
    const k = this.#keys(this.#clock.now());
    await this.#redis.eval(SETTLE, 2, k.day, k.jobs, jobKey, '', 0, 0, 0, 0, 0);
  }

  /** Marketo said `1029 Export daily quota exceeded`: no worker claims another job today. */
  async exhaust(): Promise<void> {
    const now = this.#clock.now();
    const k = this.#keys(now);
    await this.#redis
      .multi()
      .hset(k.day, 'exhausted', new Date(now).toISOString(), 'limitBytes', this.#limitBytes, 'resetAt', k.resetAt)
      .hset(k.day, 'reserveBytes', this.#reserveBytes)
      .hsetnx(k.day, 'usedBytes', 0)
      .expire(k.day, DAY_TTL_SECONDS)
      .exec();
  }

  /** Today's figures. */
  async status(): Promise<ExportBudgetStatus> {
    const now = this.#clock.now();
    const k = this.#keys(now);
    const [day, claims] = await Promise.all([this.#redis.hgetall(k.day), this.#redis.hgetall(k.jobs)]);
    const used = Number(day.usedBytes ?? 0);
    const inFlight = Object.values(claims).filter((v) => Number(v.split(':')[1]) > now).length;
    const exhausted = day.exhausted !== undefined;
    return {
      instance: this.#instance,
      date: k.date,
      usedMb: used / BYTES_PER_MB,
      limitMb: this.#limitBytes / BYTES_PER_MB,
      reserveMb: this.#reserveBytes / BYTES_PER_MB,
      remainingMb: exhausted ? 0 : Math.max(0, this.#limitBytes - this.#reserveBytes - used) / BYTES_PER_MB,
      exhausted,
      jobs: { inFlight, limit: this.#maxJobs },
      resetsAt: new Date(k.resetAt).toISOString(),
    };
  }
}
