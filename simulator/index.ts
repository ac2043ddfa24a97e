import type { RequestListener } from 'node:http';
import { handleAdmin } from './admin.ts';
import { programRecord, smartCampaignRecord } from './assets.ts';
import { TokenStore } from './auth.ts';
import { BulkExtract, type BulkJobInfo } from './bulk.ts';
import { createEndpoints, DEFAULT_SCAN_CAP, type EndpointSettings, type Quirks } from './endpoints.ts';
import { type FaultReport, type FaultSpec, Faults, type LatencyProfile, latencyOf } from './faults.ts';
import { isoZ } from './hash.ts';
import { LEAD_FIELDS } from './lead-fields.ts';
import { type CountsSnapshot, type LimitSettings, Limits } from './limits.ts';
import { createSimHandler, listen } from './server.ts';
import { SimClock, type TimeSource } from './sim-clock.ts';
import { activityJson, typeMask, World } from './world.ts';

export { ACTIVITY_TYPES, TRACKED_TYPE_IDS } from './activity-types.ts';
export type { BulkJobInfo } from './bulk.ts';
export { DEFAULT_SCAN_CAP, type Quirks } from './endpoints.ts';
export type { FaultReport, FaultSpec, LatencyProfile } from './faults.ts';
export { LEAD_FIELDS, MARKETO_DATA_TYPES } from './lead-fields.ts';
export type { CountsSnapshot, EndpointCounts, LimitSettings } from './limits.ts';

/** Options of startSimulator; every one has a default. Dates are ISO-8601 strings. */
export interface SimulatorOptions {
  seed?: number;
  leads?: number;
  /** Size of the random activity stream (lead events 12/13/37 come on top). */
  activities?: number;
  start?: string;
  end?: string;
  /** Initial simulator clock (default: end). */
  now?: string;
  /** 'running' (default) ticks with real time, 'frozen' only moves when told, or follow a TimeSource. */
  clock?: 'running' | 'frozen' | TimeSource;
  /**
   * Marketo's clock minus its client's, in ms (default 0): the simulator's clock starts this far
   * from `now` and so runs that far from the TimeSource it follows. -30 000 = the client is 30 s ahead.
   */
  clockSkewMs?: number;
  programs?: number;
  campaigns?: number;
  clientId?: string;
  clientSecret?: string;
  /** Instance name, e.g. '123-ABC-456' (used in the token suffix and ground truth). */
  instance?: string;
  limits?: Partial<LimitSettings>;
  quirks?: Partial<Quirks>;
  lateArrivalRate?: number;
  /** Longest lag of a late arrival, in ms (default 50 minutes; days are fine). */
  lateArrivalMaxMs?: number;
  /**
   * Activity-log positions (of every type, visible or not) one activities / lead changes / deleted
   * leads call looks at before it answers with what it found (default {@link DEFAULT_SCAN_CAP}):
   * a page ends at 300 matching records or at this many positions, whichever comes first, so
   * re-reading months costs many calls, as on a real instance.
   */
  scanCap?: number;
  deletedLeadRate?: number;
  pagingTokenTtlMs?: number;
  /**
   * Real-time latency of every REST and bulk call that reaches its handler: the answer waits this
   * long after the call was admitted and counted (Marketo counts on arrival), holding its in-flight
   * slot (default none): `{ medianMs }` fixed, or
   * `{ medianMs, p99Ms }` log-normal, deterministic from the seed.
   */
  latency?: LatencyProfile;
  /** Bulk job duration in simulator ms: this much (default 30 s) plus `bulkProcessingMsPerMb` per MB of file. */
  bulkProcessingMs?: number;
  /** Bulk job duration per MB of its file, in simulator ms (default 5 000). */
  bulkProcessingMsPerMb?: number;
  /** marketoGUID = the activity id's decimal text, as on Marketo instances (default false: UUID-like). */
  numericGuids?: boolean;
  /** Bulk activity files carry NUL bytes and stray CRs now and then, as Marketo's do (default false). */
  bulkNoise?: boolean;
  /**
   * Activity types (names or ids) this instance does not have, as when a customer lacks Sales
   * Insight or Dialogue: types.json leaves them out (default none).
   */
  missingActivityTypes?: (string | number)[];
  /**
   * The REST API treats a token as expired this long before the identity service does (default 0).
   * In that window the identity service still hands back the token the API rejects, so a call gets
   * 601/602 twice: once before and once after refreshing.
   */
  tokenApiLeadMs?: number;
  port?: number;
  /** Interface to listen on (default 127.0.0.1; a container serving others needs 0.0.0.0). */
  host?: string;
}

/** Ground truth as of the simulator clock. Activity records have exactly the activities.json shape. */
export interface Truth {
  /** Visible activities dated in [from, to] (ISO or ms), in timeline (activityDate) order. Default: all types, all time. */
  activities(opts?: {
    typeIds?: number[];
    from?: string | number;
    to?: string | number;
    leadIds?: number[];
  }): Generator<ActivityRecord>;
  /** Existing (created, not deleted) leads with every REST field, null fields omitted. */
  leads(opts?: { fields?: string[] }): Generator<Record<string, unknown>>;
  /** Ids of leads deleted so far (merged-away leads are not among them). */
  deletedLeadIds(): number[];
  /** Ids of leads merged away into another lead so far (a Merge Leads activity on the winner names each). */
  mergedLeadIds(): number[];
  /** Programs visible now, as programs.json renders them. */
  programs(): Record<string, unknown>[];
  /** Smart campaigns visible now, as smartCampaigns.json renders them. */
  campaigns(): Record<string, unknown>[];
}

/** An activities.json record. */
export interface ActivityRecord {
  id: number;
  marketoGUID: string;
  leadId: number;
  activityDate: string;
  activityTypeId: number;
  campaignId?: number;
  primaryAttributeValueId?: number;
  primaryAttributeValue?: string;
  attributes: { name: string; value: unknown }[];
}

/** A running simulator and its control surface (the admin HTTP API under /_admin mirrors it). */
export interface Simulator {
  /** http://127.0.0.1:PORT; identity at url+'/identity', REST at url+'/rest', bulk at url+'/bulk'. */
  url: string;
  clientId: string;
  clientSecret: string;
  instance: string;
  clock: { now(): number; set(ms: number | string): void; advance(ms: number): void };
  world: World;
  setLimits(limits: Partial<LimitSettings>): void;
  /** Current limits, quirks and paging-token lifetime. */
  settings(): { limits: LimitSettings; quirks: Quirks; pagingTokenTtlMs: number | undefined };
  setQuirks(quirks: Partial<Quirks>): void;
  /** Sets the nextPageToken lifetime (simulator ms); undefined = unlimited. */
  setPagingTokenTtl(ms: number | undefined): void;
  /** Adds a fault rule; returns its id. */
  injectFault(spec: FaultSpec): number;
  clearFaults(): void;
  /** How often each injected fault rule has fired (since the last clearFaults), by request path. */
  faultsFired(): FaultReport[];
  /** Invalidates the current access token (later calls with it get 601). */
  revokeToken(): void;
  counts(): CountsSnapshot;
  /** Clears per-endpoint counters. */
  resetCounts(): void;
  /** Forgets quota usage and the rate window. */
  resetUsage(): void;
  truth: Truth;
  /** Bulk Extract: the jobs created so far, and its faults. */
  bulk: {
    /** Every export job created, oldest first (a test asserts no second job for a window with it). */
    jobs(): BulkJobInfo[];
    /** The next `n` jobs to start processing end Failed. */
    failNextJobs(n?: number): void;
    /** The next `n` file downloads drop the connection after `fraction` of their bytes. */
    cutNextDownloads(n?: number, fraction?: number): void;
    /** The file of `exportId` (or of every job) is gone, as after its 7 days. */
    expireFiles(exportId?: string): void;
    /** Lead exports filtered on `filter` (e.g. `createdAt`) answer 1035 from now on (`refused` false: no longer). */
    refuseLeadFilter(filter: string, refused?: boolean): void;
    /** Wall ms spent building export files so far. */
    fileBuildMs(): number;
  };
  /** Adds an activity dated activityDate that becomes visible at visibleAt; returns its marketoGUID. */
  injectLateActivity(a: {
    leadId: number;
    activityTypeId: number;
    activityDate: string | number;
    visibleAt: string | number;
  }): string;
  close(): Promise<void>;
}

const toMs = (v: string | number) => (typeof v === 'number' ? v : Date.parse(v));

/** Starts a simulator on 127.0.0.1 (port 0 = a free port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { sim, handler } = buildSimulator(options);
  const served = await listen(handler, options.port, options.host);
  sim.url = served.url;
  sim.close = served.close;
  return sim;
}

/**
 * One simulated instance without a server of its own: its control surface (`url` empty, `close`
 * a no-op until whoever serves it sets them) and the request handler that answers for it, paths
 * starting at `/identity`, `/rest`, `/bulk` or `/_admin`.
 */
export function buildSimulator(options: SimulatorOptions = {}): { sim: Simulator; handler: RequestListener } {
  const seed = (options.seed ?? 1) >>> 0;
  const start = toMs(options.start ?? '2025-01-01T00:00:00Z');
  const end = toMs(options.end ?? '2025-12-31T23:59:59Z');
  if (Number.isNaN(start) || Number.isNaN(end)) throw new Error('simulator: start/end must be ISO dates');
  const world = new World({
    seed,
    leads: options.leads ?? 1000,
    activities: options.activities ?? 100_000,
    start,
    end,
    programs: options.programs ?? 40,
    campaigns: options.campaigns ?? 80,
    lateArrivalRate: options.lateArrivalRate ?? 0.01,
    lateArrivalMaxMs: options.lateArrivalMaxMs,
    deletedLeadRate: options.deletedLeadRate ?? 0.02,
    numericGuids: options.numericGuids ?? false,
  });
  const clock = new SimClock(
    (options.now ? toMs(options.now) : end) + (options.clockSkewMs ?? 0),
    options.clock ?? 'running',
  );
  const instance = options.instance ?? '123-SIM-456';
  const limits = new Limits({
    ratePer20s: 100,
    maxInFlight: 10,
    dailyQuota: 50_000,
    bulkDailyBytes: 500_000_000,
    timeZone: 'America/Chicago',
    resetLateSeconds: 0,
    ...options.limits,
  });
  const credentials = {
    clientId: options.clientId ?? 'sim-client',
    clientSecret: options.clientSecret ?? 'sim-secret',
  };
  const settings: EndpointSettings = {
    seed,
    quirks: { shortPageRate: 0.02, emptyPageRate: 0.02, ...options.quirks },
    pagingTokenTtlMs: options.pagingTokenTtlMs,
    scanCap: options.scanCap ?? DEFAULT_SCAN_CAP,
    clientId: credentials.clientId,
    missingActivityTypes: options.missingActivityTypes,
  };
  const tokens = new TokenStore(
    clock,
    seed,
    instance
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 4) || 'sim',
    undefined,
    options.tokenApiLeadMs,
  );
  const faults = new Faults(seed);
  const bulk = new BulkExtract(world, limits, seed);
  if (options.bulkProcessingMs !== undefined) bulk.processingMs = options.bulkProcessingMs;
  if (options.bulkProcessingMsPerMb !== undefined) bulk.processingMsPerMb = options.bulkProcessingMsPerMb;
  bulk.noise = options.bulkNoise ?? false;

  const truth: Truth = {
    *activities(opts = {}) {
      const mask = typeMask(opts.typeIds ?? Array.from({ length: 1024 }, (_, i) => i));
      const from = opts.from === undefined ? Number.NEGATIVE_INFINITY : toMs(opts.from);
      const to = opts.to === undefined ? Number.POSITIVE_INFINITY : toMs(opts.to);
      const leadSet = opts.leadIds ? new Set(opts.leadIds) : null;
      for (const a of world.iterate({ typeMask: mask, leadSet }, from, to, clock.now())) {
        yield JSON.parse(activityJson(a, isoZ(a.date))) as ActivityRecord;
      }
    },
    *leads(opts = {}) {
      const idx = (opts.fields ?? LEAD_FIELDS.map((f) => f.name)).map((n) =>
        LEAD_FIELDS.findIndex((f) => f.name === n),
      );
      const now = clock.now();
      for (let id = 1; id <= world.leads.count; id++) {
        const r = world.leads.record(id, now, idx);
        if (r) yield r;
      }
    },
    deletedLeadIds: () => world.deletedLeadIds(clock.now()),
    mergedLeadIds: () => world.mergedLeadIds(clock.now()),
    programs: () => world.programs.filter((p) => p.createdAt <= clock.now()).map((p) => programRecord(p, clock.now())),
    campaigns: () =>
      world.campaigns.filter((c) => c.createdAt <= clock.now()).map((c) => smartCampaignRecord(c, clock.now())),
  };

  const sim: Simulator = {
    url: '',
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    instance,
    clock: {
      now: () => clock.now(),
      set: (ms) => clock.set(toMs(ms)),
      advance: (ms) => clock.advance(ms),
    },
    world,
    setLimits: (l) => {
      limits.settings = { ...limits.settings, ...l };
    },
    settings: () => ({
      limits: { ...limits.settings },
      quirks: { ...settings.quirks },
      pagingTokenTtlMs: settings.pagingTokenTtlMs,
    }),
    setQuirks: (q) => {
      settings.quirks = { ...settings.quirks, ...q };
    },
    setPagingTokenTtl: (ms) => {
      settings.pagingTokenTtlMs = ms;
    },
    injectFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    faultsFired: () => faults.report(),
    revokeToken: () => tokens.revoke(),
    counts: () => limits.snapshot(),
    resetCounts: () => limits.resetCounts(),
    resetUsage: () => limits.resetUsage(),
    truth,
    bulk: {
      jobs: () => bulk.jobs(clock.now()),
      failNextJobs: (n) => bulk.failNextJobs(n),
      cutNextDownloads: (n, fraction) => bulk.cutNextDownloads(n, fraction),
      expireFiles: (exportId) => bulk.expireFiles(exportId),
      fileBuildMs: () => bulk.fileBuildMs,
      refuseLeadFilter: (filter, refused = true) => {
        if (refused) bulk.refusedLeadFilters.add(filter);
        else bulk.refusedLeadFilters.delete(filter);
      },
    },
    injectLateActivity: (a) => world.inject(a.leadId, a.activityTypeId, toMs(a.activityDate), toMs(a.visibleAt)).guid,
    close: async () => undefined,
  };

  const handler = createSimHandler({
    clock,
    tokens,
    limits,
    faults,
    latencyMs: options.latency ? (n) => latencyOf(options.latency!, seed, n) : undefined,
    bulk,
    routes: createEndpoints(world, limits, settings),
    credentials,
    seed,
    admin: (req, res, path, query, body) => handleAdmin(sim, req, res, path, query, body),
  });
  return { sim, handler };
}
