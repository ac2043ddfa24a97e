import {
  BulkExtractClient,
  type BulkJobState,
  type BulkWindowDeps,
  BYTES_PER_MB,
  type ExportBudget,
  type ExportKind,
  type ExportWindow,
  newJobState,
  type RejectedRow,
  readBulkWindow,
} from '../bulk/index.ts';
import { ErrorCodes, hasCode, MarketoStreamError } from '../errors.ts';
import type { MarketoActivity, MarketoClient } from '../marketo/index.ts';
import { getActivitiesPage, getPagingToken, parseMarketoDate } from '../marketo/index.ts';
import { localDay } from '../quota/day.ts';
import {
  type BulkBackfillCursor,
  bulkProgress,
  CALIBRATION_WINDOW_MS,
  cheaperPath,
  estimateFromPage,
  exportInstant,
  fittedWindowEnd,
  GUESSED_BYTES_PER_ROW,
  type RestWindowState,
  scaledRows,
  windowAt,
} from './backfill-plan.ts';
import { type DatedCursor, datedPage, newestDate } from './dated-paging.ts';
import type { FetchedPage, StreamContext } from './stream.ts';

const DAY = 86_400_000;

/** A bulk file row that could not be read: the runner sends it to the dead-letter topic with its reason. */
export interface RejectedBulkRow {
  rejectedRow: number;
  raw: string;
  reason: string;
}

/** A bulk file row of an activity export that could not be read. */
export type RejectedActivityRow = RejectedBulkRow;

/** What an activity stream publishes: activities, and (from bulk files) rows to dead-letter. */
export type ActivityRecord = MarketoActivity | RejectedBulkRow;

export const isRejectedRow = (r: object): r is RejectedBulkRow => 'rejectedRow' in r;

/** One step of a window's job: the records to publish (rows, and rows to dead-letter) and the state to checkpoint. */
export interface BulkSourceStep<R> {
  records: R[];
  state: BulkJobState;
}

/** One REST page of a window: its records inside the window, and where the window's paging stands. */
export interface RestSourcePage<R> {
  records: R[];
  nextPageToken?: string;
  /** The window has no more rows. */
  finished: boolean;
}

/**
 * What a bulk backfill reads window by window: an activity group ({@link activitySource}) or the
 * lead snapshot. The phase (planning, jobs, the export budget, the REST share, checkpoints) is
 * the same for both; only the export, its rows and the REST pages of a window differ.
 */
export interface BackfillSource<R> {
  readonly kind: ExportKind;
  /** The state of a new export of `window`. */
  newJob(window: ExportWindow): BulkJobState;
  /** The rows `window` is expected to hold, from one REST page read from its start (a couple of calls). */
  probe(client: MarketoClient, window: ExportWindow, ctx: StreamContext): Promise<number>;
  /**
   * The steps of a window's job from its checkpointed state (see readBulkWindow). `first`: the
   * window opens the phase, as for {@link restPage}.
   */
  readJob(
    job: BulkJobState,
    deps: BulkWindowDeps,
    signal: AbortSignal,
    first: boolean,
  ): AsyncGenerator<BulkSourceStep<R>>;
  /**
   * One REST page of the window from `rest` (its `since` and token). `first`: the window opens the
   * phase (its start is inclusive; later windows start just after the previous one's end).
   */
  restPage(
    client: MarketoClient,
    window: ExportWindow & { first: boolean },
    rest: RestWindowState,
    ctx: StreamContext,
  ): Promise<RestSourcePage<R>>;
  /** The cursor's newest event date after `records` (activities); absent: the cursor's date is not moved. */
  newest?(current: string | undefined, records: readonly R[]): string | undefined;
}

/** The activities of one group: activity exports, and activities.json pages of its types. */
export function activitySource(o: {
  activityTypeIds: readonly number[];
  startDate: string;
  lookbackMs: number;
  name: string;
}): BackfillSource<ActivityRecord> {
  const ask = (client: MarketoClient, token: string, ctx: StreamContext) =>
    getActivitiesPage(client, { nextPageToken: token, activityTypeIds: o.activityTypeIds, signal: ctx.signal });
  return {
    kind: 'activities',
    newJob: (window) => newJobState('activities', window, [...o.activityTypeIds]),
    async probe(client, window, ctx) {
      const page = await ask(client, await getPagingToken(client, window.startAt, ctx.signal), ctx);
      const dates = (page.result ?? []).map((a) => parseMarketoDate(a.activityDate));
      return estimateFromPage(window, { dates, more: page.moreResult === true });
    },
    async *readJob(job, deps, signal) {
      for await (const step of readBulkWindow(job, deps, signal)) {
        yield { records: [...step.activities, ...rejectedOf(step.rejected)], state: step.state };
      }
    },
    async restPage(client, window, rest, ctx) {
      const page = await datedPage({ client, ...o }, restWindowCursor(rest), ctx, (token) => ask(client, token, ctx));
      const end = parseMarketoDate(window.endAt);
      const all = page.result ?? [];
      // The window's start second is in the previous window too: the overlap is de-duplicated by marketoGUID.
      const records = all.filter((a) => parseMarketoDate(a.activityDate) <= end);
      return {
        records,
        nextPageToken: page.nextPageToken,
        finished: records.length < all.length || page.moreResult !== true,
      };
    },
    newest: (current, records) => newestDate(current, records.filter((r) => !isRejectedRow(r)) as MarketoActivity[]),
  };
}

/** A cursor that may carry a bulk phase. */
export interface BulkPhaseCursor extends DatedCursor {
  bulk?: BulkBackfillCursor;
}

/** What the bulk phase of one stream works with. */
export interface BulkBackfillOptions<R> {
  client: MarketoClient;
  /** The instance's export budget (shared in Redis); without it, only Marketo's limits apply. */
  budget?: ExportBudget;
  /** What is read: an activity group, or the lead snapshot. */
  source: BackfillSource<R>;
  /** The stream's name and connection: they name the job's budget slot. */
  name: string;
  connection: string;
  /** Share of `dailyQuota` REST may spend while the export budget is spent. */
  restShare: number;
  /**
   * Any wait (job slots taken, Marketo's queue, the export budget) sends a window whose job has not
   * started through REST at once, instead of waiting: a look-back cannot wait, its window would fall
   * out of the de-duplication memory.
   */
  restWhenWaiting?: boolean;
  dailyQuota: number;
  /** Zone of the quota day (the REST share is per day). */
  timeZone: string;
  pollMinMs: number;
  /** Export bytes a day this service may use (limit − reserve): no window's file is planned above half of it. */
  dailyExportBytes?: number;
}

/**
 * Marketo's `1035 Unsupported filter type for target subscription`: the create call of an export
 * whose filter this subscription does not offer (Adobe names updatedAt and the smart-list filters).
 */
export const isFilterRefused = (err: unknown): boolean =>
  err instanceof MarketoStreamError && err.marketoCode === '1035';

/**
 * A window's file is estimated from the last one's rows and bytes, and a busier window comes out
 * larger: the budget is claimed with this margin, so the day's metered files stay within it.
 */
const ESTIMATE_MARGIN = 1.15;
const budgetClaim = (estimatedBytes: number | undefined) => Math.ceil((estimatedBytes ?? 0) * ESTIMATE_MARGIN);

/** Counts the Marketo calls made through it (every call a bulk or REST step makes). */
function countingClient(client: MarketoClient, counter: { calls: number }): MarketoClient {
  const counted = new Set<PropertyKey>(['request', 'get', 'stream']);
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (!counted.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        counter.calls++;
        return value.apply(target, args);
      };
    },
  });
}

/** A bulk file's rejected rows as the records the runner dead-letters. */
export const rejectedOf = (rows: readonly RejectedRow[]): RejectedBulkRow[] =>
  rows.map((r) => ({ rejectedRow: r.row, raw: r.raw, reason: r.error.message }));

/** The dated cursor a window read through REST pages with: from the window's position, outside any checkpoint. */
export const restWindowCursor = (rest: RestWindowState): DatedCursor => ({
  seq: 0,
  phase: 'backfill',
  updatedAt: '',
  sinceDate: rest.since,
  nextPageToken: rest.nextPageToken,
});

/**
 * The bulk phase of a stream's backfill (an activity group, or the lead snapshot): window by window up to the handover point, each
 * through a Bulk Extract job (pages of its file) or REST pages, as the plan and the window's
 * estimated density say; every page carries the phase's state for the checkpoint. A job in
 * progress is resumed from the cursor after a restart, never created twice. While the export
 * budget is spent, windows go through REST within `restShare` of the day's calls, else the phase
 * waits for the export reset (ending the pass with a checkpoint, so the other streams go on).
 */
export class BulkBackfill<C extends BulkPhaseCursor, R extends object = ActivityRecord> {
  readonly #o: BulkBackfillOptions<R>;
  readonly #source: BackfillSource<R>;
  readonly #counter = { calls: 0 };
  readonly #client: MarketoClient;
  readonly #bulk: BulkExtractClient;
  /** The file being read, kept between pages: continued when the runner asks for the page after its last. */
  #live?: { after: C; steps: AsyncGenerator<BulkSourceStep<R>> };

  constructor(o: BulkBackfillOptions<R>, ctx: Pick<StreamContext, 'clock' | 'logger'>) {
    this.#o = o;
    this.#source = o.source;
    this.#client = countingClient(o.client, this.#counter);
    this.#bulk = new BulkExtractClient({
      client: this.#client,
      clock: ctx.clock,
      logger: ctx.logger,
      pollMinMs: o.pollMinMs,
      timeZone: o.timeZone,
    });
  }

  /**
   * The page holding a newly created job's id, until the runner commits that very page: the runner
   * asks for the next page (even the one after it) before that commit, and enqueueing the job then
   * could export a job that a crash leaves unrecorded (its restart would export the window again).
   * Known by its records array, which the runner hands back to `committed`: the commit of an
   * earlier page, finishing while the job was created, must not release it.
   */
  #uncommittedJob?: {
    records: readonly R[];
    cursor: C;
    committed: Promise<void>;
    settle: (lost?: Error) => void;
  };

  /** The runner committed the page fetched with these records (the array `fetchPage` returned). */
  committed(records: readonly R[]): void {
    if (this.#uncommittedJob?.records !== records) return;
    this.#uncommittedJob.settle();
    this.#uncommittedJob = undefined;
  }

  /** The page after `cursor` (whose bulk phase is active). */
  async fetchPage(cursor: C, ctx: StreamContext): Promise<FetchedPage<R, C>> {
    const pending = this.#uncommittedJob;
    if (pending && pending.cursor !== cursor) {
      // Resumed from a committed cursor: the page with the job was never committed, and a fetch
      // still waiting on it must not go on to enqueue the job.
      this.#uncommittedJob = undefined;
      pending.settle(new Error('the page holding the new bulk job was not committed'));
    }
    if (pending?.cursor === cursor) await pending.committed;
    const before = this.#counter.calls;
    const live = this.#live?.after === cursor ? this.#live.steps : undefined;
    if (!live) await this.#live?.steps.return(undefined).catch(() => {});
    this.#live = undefined;
    const page = await this.#step(cursor, ctx, live);
    const b = page.cursor.bulk!;
    const counted = { ...page.cursor, bulk: { ...b, calls: b.calls + this.#counter.calls - before } };
    // The runner asks for the next page with this very cursor: the file read goes on from there.
    const kept = this.#live as { after: C } | undefined; // set again by the step
    if (kept?.after === page.cursor) kept.after = counted;
    if (this.#uncommittedJob?.cursor === page.cursor) this.#uncommittedJob.cursor = counted;
    return { ...page, cursor: counted };
  }

  async #step(
    cursor: C,
    ctx: StreamContext,
    live: AsyncGenerator<BulkSourceStep<R>> | undefined,
  ): Promise<FetchedPage<R, C>> {
    let b = cursor.bulk!;
    const now = ctx.clock.now();
    if (b.waitingUntil) {
      if (Date.parse(b.waitingUntil) > now) return { records: [], cursor, done: true };
      b = { ...b, waitingUntil: undefined };
    }
    if (!b.job && !b.rest) {
      if (parseMarketoDate(b.windowStart) >= parseMarketoDate(b.handoverAt)) {
        ctx.logger.info({ ...bulkProgress(b), handoverAt: b.handoverAt }, 'bulk backfill done; REST takes over');
        // Recorded on its own: REST paging starts at the handover point.
        const handedOver = { ...b, finished: true };
        return {
          records: [],
          cursor: { ...cursor, bulk: handedOver, sinceDate: b.handoverAt, nextPageToken: undefined },
          done: false,
        };
      }
      b = await this.#planWindow(b, ctx);
    }
    if (b.rest) return this.#restPage({ ...cursor, bulk: b }, ctx);
    return this.#jobStep({ ...cursor, bulk: b }, ctx, live);
  }

  /**
   * Picks the path of the window at `b.windowStart`: by the method, or (auto) by its estimated
   * density; a bulk window whose file would not fit in half the day's export budget is cut shorter.
   */
  async #planWindow(b: BulkBackfillCursor, ctx: StreamContext): Promise<BulkBackfillCursor> {
    let window = windowAt(b);
    if (b.refused) return { ...b, rest: { since: window.startAt, rows: 0 } };
    const lengthOf = (w: { startAt: string; endAt: string }) => parseMarketoDate(w.endAt) - parseMarketoDate(w.startAt);
    const windowMs = lengthOf(window);
    // A window of this phase whose file held no rows says nothing of the next one's size (it would
    // plan a whole window with an empty claim on the budget): that one is probed again. An
    // estimate given with the phase (the deep look-back's, before any window is done) is kept.
    const measured = b.lastWindowRows !== undefined && !(b.windowsDone > 0 && b.lastWindowRows === 0);
    let estimate = measured
      ? scaledRows(b.lastWindowRows!, b.lastWindowMs ?? b.windowDays * DAY, windowMs)
      : await this.#source.probe(this.#client, window, ctx);
    const path = b.method === 'bulk' ? 'bulk' : cheaperPath(estimate);
    let estimatedBytes: number | undefined;
    if (path === 'bulk') {
      if (!measured && this.#o.dailyExportBytes && windowMs > CALIBRATION_WINDOW_MS) {
        window = { ...window, endAt: exportInstant(parseMarketoDate(window.startAt) + CALIBRATION_WINDOW_MS) };
        estimate = scaledRows(estimate, windowMs, CALIBRATION_WINDOW_MS);
      }
      const perRow = b.bytesPerRow ?? GUESSED_BYTES_PER_ROW;
      estimatedBytes = Math.ceil(estimate * perRow);
      if (this.#o.dailyExportBytes) {
        const before = lengthOf(window);
        const endAt = fittedWindowEnd(window, estimatedBytes, this.#o.dailyExportBytes);
        if (endAt !== window.endAt) {
          estimatedBytes = Math.ceil((estimatedBytes * lengthOf({ ...window, endAt })) / before);
          window = { ...window, endAt };
        }
      }
    }
    ctx.logger.info(
      { window, path, estimatedRows: estimate, estimatedBytes, ...bulkProgress(b) },
      'backfill window planned',
    );
    const planned = { ...b, windowEnd: window.endAt, ...(estimatedBytes !== undefined ? { estimatedBytes } : {}) };
    return path === 'bulk'
      ? { ...planned, job: this.#source.newJob(window) }
      : { ...planned, rest: { since: window.startAt, rows: 0 } };
  }

  /** The next step of the window's bulk job, as a page (maybe empty: a checkpoint of the job's state). */
  async #jobStep(
    cursor: C,
    ctx: StreamContext,
    live: AsyncGenerator<BulkSourceStep<R>> | undefined,
  ): Promise<FetchedPage<R, C>> {
    const b = cursor.bulk!;
    const job = b.job!;
    let steps = live;
    if (!steps) {
      steps = this.#source.readJob(
        JSON.parse(JSON.stringify(job)),
        {
          bulk: this.#bulk,
          client: this.#client,
          ...(this.#o.budget ? { budget: this.#o.budget } : {}),
          jobKey: `${this.#o.connection}:${this.#o.name}:${job.window.startAt}`,
          estimateBytes: budgetClaim(b.estimatedBytes),
          clock: ctx.clock,
          logger: ctx.logger,
        },
        ctx.signal,
        b.windowsDone === 0,
      );
    }
    let next: IteratorResult<BulkSourceStep<R>>;
    try {
      next = await steps.next();
    } catch (err) {
      if (hasCode(err, ErrorCodes.BULK_WAIT)) return this.#whenBulkWaits(cursor, err, ctx);
      if (isFilterRefused(err)) {
        // Marketo will not run this export on this subscription: REST for the rest of the phase.
        ctx.logger.warn(
          { err, kind: this.#source.kind, window: job.window },
          `Marketo refused the bulk ${this.#source.kind} export filter (1035); the backfill goes on through REST`,
        );
        const rest = { since: job.window.startAt, rows: 0 };
        return this.#restPage({ ...cursor, bulk: { ...b, job: undefined, refused: true, rest } }, ctx);
      }
      if (hasCode(err, ErrorCodes.BULK_JOB_FAILED)) {
        // Given up after its one recreation: the rest of the window comes through REST, from the
        // newest row the files published (the overlap is de-duplicated by marketoGUID).
        ctx.logger.warn({ err, window: job.window }, 'bulk window given up; reading it through REST');
        const since = cursor.maxActivityDate
          ? exportInstant(Math.max(parseMarketoDate(cursor.maxActivityDate), parseMarketoDate(job.window.startAt)))
          : job.window.startAt;
        return this.#restPage({ ...cursor, bulk: { ...b, job: undefined, rest: { since, rows: 0 } } }, ctx);
      }
      throw err;
    }
    if (next.done) return { records: [], cursor: this.#windowDone(cursor, ctx), done: false };
    const step = next.value;
    const records = step.records;
    const moved = this.#moved(cursor, records);
    if (step.state.done) {
      return { records, cursor: this.#windowDone({ ...moved, bulk: { ...b, job: step.state } }, ctx), done: false };
    }
    const after = { ...moved, bulk: { ...b, job: step.state } };
    this.#live = { after, steps };
    // A new job (the window's first, or its recreation): not to be enqueued before this page commits.
    if (step.state.exportId && step.state.exportId !== job.exportId) this.#holdUntilCommitted(records, after);
    return { records, cursor: after, done: false };
  }

  /** `cursor` with its newest event date moved past `records` (when the source moves it). */
  #moved(cursor: C, records: readonly R[]): C {
    const newest = this.#source.newest;
    return newest ? { ...cursor, maxActivityDate: newest(cursor.maxActivityDate, records) } : cursor;
  }

  #holdUntilCommitted(records: readonly R[], cursor: C): void {
    let settle: (lost?: Error) => void = () => {};
    const committed = new Promise<void>((resolve, reject) => {
      settle = (lost) => (lost ? reject(lost) : resolve());
    });
    committed.catch(() => {}); // surfaced to the fetch that awaits it
    this.#uncommittedJob = { records, cursor, committed, settle };
  }

  /**
   * The budget or Marketo's queue says wait. A spent export budget sends the window through REST
   * while the day's REST share lasts; otherwise the pass ends here and the phase waits.
   */
  async #whenBulkWaits(cursor: C, err: unknown, ctx: StreamContext): Promise<FetchedPage<R, C>> {
    const b = cursor.bulk!;
    const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs ?? 60_000;
    const status = await this.#o.budget?.status();
    // Spent: Marketo said so, or what is left today cannot take this window's expected file.
    const spent = status
      ? status.exhausted || status.remainingMb * BYTES_PER_MB < Math.max(budgetClaim(b.estimatedBytes), 1)
      : true;
    const job = b.job!;
    const started = job.rowsReached > 0 || job.skipRows > 0;
    if ((spent || this.#o.restWhenWaiting) && !started && this.#restShareLeft(b, ctx.clock.now()) > 0) {
      ctx.logger.warn(
        { window: job.window, restShare: this.#o.restShare, reason: (err as Error).message },
        spent
          ? 'export budget spent; reading the window through REST (within the REST share)'
          : 'bulk export must wait; reading the window through REST',
      );
      // The whole window: it was cut short only so that its file would fit in the export budget.
      const rest = { since: job.window.startAt, rows: 0, fallback: true };
      return this.#restPage(
        { ...cursor, bulk: { ...b, job: undefined, windowEnd: undefined, estimatedBytes: undefined, rest } },
        ctx,
      );
    }
    const until = new Date(ctx.clock.now() + retryAfterMs).toISOString();
    ctx.logger.warn({ until, reason: (err as Error).message, ...bulkProgress(b) }, 'bulk backfill waiting');
    return { records: [], cursor: { ...cursor, bulk: { ...b, waitingUntil: until } }, done: true };
  }

  /** Calls the backfill may still spend on REST today while the export budget is spent. */
  #restShareLeft(b: BulkBackfillCursor, now: number): number {
    const day = localDay(now, this.#o.timeZone).date;
    const used = b.restFallback?.day === day ? b.restFallback.calls : 0;
    return Math.floor(this.#o.restShare * this.#o.dailyQuota) - used;
  }

  /** One REST page of the window in progress; rows past the window's end are left to the next window. */
  async #restPage(cursor: C, ctx: StreamContext): Promise<FetchedPage<R, C>> {
    const b = cursor.bulk!;
    const rest = b.rest!;
    const now = ctx.clock.now();
    if (rest.fallback && this.#restShareLeft(b, now) <= 0) {
      const until = new Date(localDay(now, this.#o.timeZone).resetAt).toISOString();
      ctx.logger.warn({ until, ...bulkProgress(b) }, 'export budget and REST share spent; waiting for the reset');
      return { records: [], cursor: { ...cursor, bulk: { ...b, waitingUntil: until } }, done: true };
    }
    const window = { startAt: b.windowStart, endAt: windowAt(b).endAt, first: b.windowsDone === 0 };
    const before = this.#counter.calls;
    const page = await this.#source.restPage(this.#client, window, rest, ctx);
    const records = page.records;
    const spentNow = this.#counter.calls - before;
    const day = localDay(now, this.#o.timeZone).date;
    const restFallback = rest.fallback
      ? { day, calls: (b.restFallback?.day === day ? b.restFallback.calls : 0) + spentNow }
      : b.restFallback;
    const nextRest = { ...rest, nextPageToken: page.nextPageToken, rows: rest.rows + records.length };
    const moved: C = {
      ...this.#moved(cursor, records),
      bulk: { ...b, rest: nextRest, ...(restFallback ? { restFallback } : {}) },
    };
    return { records, cursor: page.finished ? this.#windowDone(moved, ctx) : moved, done: false };
  }

  /** `cursor` with its window finished: the next window starts where it ended. */
  #windowDone(cursor: C, ctx: StreamContext): C {
    const b = cursor.bulk!;
    const window = windowAt(b);
    const viaBulk = b.job !== undefined;
    const rows = viaBulk ? (b.job!.numberOfRecords ?? b.job!.rowsReached) : (b.rest?.rows ?? 0);
    const bytes = viaBulk ? (b.job!.fileSize ?? 0) : undefined;
    const windowsDone = b.windowsDone + 1;
    const left = Math.ceil((parseMarketoDate(b.handoverAt) - parseMarketoDate(window.endAt)) / (b.windowDays * DAY));
    const done: BulkBackfillCursor = {
      ...b,
      job: undefined,
      rest: undefined,
      windowEnd: undefined,
      estimatedBytes: undefined,
      windowStart: window.endAt,
      windowsDone,
      windowsTotal: windowsDone + left,
      bulkWindows: b.bulkWindows + (viaBulk ? 1 : 0),
      restWindows: b.restWindows + (viaBulk ? 0 : 1),
      exportedBytes: b.exportedBytes + (bytes ?? 0),
      lastWindowRows: rows,
      lastWindowMs: parseMarketoDate(window.endAt) - parseMarketoDate(window.startAt),
      lastWindowBytes: bytes,
      ...(bytes && rows > 0 ? { bytesPerRow: bytes / rows } : {}),
    };
    ctx.logger.info(
      { window, path: viaBulk ? 'bulk' : 'rest', rows, ...bulkProgress(done) },
      'backfill window published',
    );
    return { ...cursor, bulk: done };
  }
}
