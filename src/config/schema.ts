import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_LEAD_FIELDS, DEFAULT_TRACKED_ACTIVITY_TYPES } from './defaults.ts';

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date, e.g. 2025-01-01T00:00:00Z');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone, e.g. America/Chicago');

/** How often the regular look-back window is re-read by default (minutes). */
export const DEFAULT_LOOKBACK_EVERY_MINUTES = 360;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The TLS settings shared by the Kafka, registry and Redis clients. */
const tlsFields = {
  /** Trusted CA certificates as PEM text (default: Node's bundled public CAs). */
  ca: z.string().regex(PEM_CERTIFICATE, 'must hold a PEM certificate (-----BEGIN CERTIFICATE-----)').optional(),
  /** A file with the trusted CA certificates (PEM), read once at start. */
  caFile: z.string().min(1).optional(),
  /** The name the server certificate must carry, when it differs from the host connected to. */
  servername: z.string().min(1).optional(),
  /** Refuse servers whose certificate is not trusted (turn off only against a throw-away test service). */
  rejectUnauthorized: z.boolean().default(true),
};

interface TlsInput {
  ca?: string;
  caFile?: string;
}

/** Reads `caFile` into `ca` (so every client, worker threads included, gets the PEM), naming the field when it cannot. */
function withCaFile<T extends TlsInput>(tls: T, ctx: z.RefinementCtx): T {
  if (tls.caFile === undefined) return tls;
  if (tls.ca !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'give either ca or caFile, not both' });
    return z.NEVER;
  }
  let pem: string;
  try {
    pem = readFileSync(tls.caFile, 'utf8');
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['caFile'], message: `cannot be read: ${(err as Error).message}` });
    return z.NEVER;
  }
  if (!PEM_CERTIFICATE.test(pem)) {
    ctx.addIssue({ code: 'custom', path: ['caFile'], message: `${tls.caFile} holds no PEM certificate` });
    return z.NEVER;
  }
  // The file is read: what is left is the PEM (re-validating the result must not read it twice).
  const { caFile: _read, ...rest } = tls;
  return { ...rest, ca: pem } as T;
}

const tlsSchema = z.object(tlsFields).transform(withCaFile);

/** SASL mechanisms kafkajs speaks that managed Kafka services use. */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const kafkaSslSchema = z
  .object({
    /** Connect over TLS (SASL_SSL or SSL in Kafka's terms). */
    enabled: z.boolean().default(false),
    ...tlsFields,
  })
  .refine((t) => t.enabled || (t.ca === undefined && t.caFile === undefined && t.servername === undefined), {
    path: ['enabled'],
    message: 'must be true when kafka.ssl.ca, caFile or servername is set',
  })
  .transform(withCaFile);

const kafkaSaslSchema = z.object({
  /** plain, scram-sha-256 or scram-sha-512 (case-insensitive). */
  mechanism: z
    .string()
    .toLowerCase()
    .pipe(z.enum(SASL_MECHANISMS, `must be one of ${SASL_MECHANISMS.join(', ')}`)),
  username: z.string().min(1, 'is required'),
  password: z.string().min(1, 'is required'),
  /**
   * Re-authenticate this long before the broker's session (connections.max.reauth.ms) ends. Must be
   * below the broker's setting: at or above it kafkajs re-authenticates on every request and fails.
   */
  reauthenticationThresholdMs: z.number().int().min(100).default(5_000),
});

/** Moves credentials written into a URL (`https://user:pass@host`) into username/password, leaving a clean URL. */
function credentialsFromUrl<T extends { url: string; username?: string; password?: string }>(
  o: T,
  ctx: z.RefinementCtx,
): T {
  const url = new URL(o.url);
  if (url.username === '' && url.password === '') return o;
  if (o.username !== undefined || o.password !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'holds credentials and username/password are set too: give one',
    });
    return z.NEVER;
  }
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { ...o, url: url.toString().replace(/\/+$/, ''), username, password };
}

/** The Marketo objects a connection can pull. */
export const STREAM_KINDS = ['activities', 'leads', 'programs', 'campaigns'] as const;

/** One Marketo instance of one customer, pulled by this service. */
export const connectionSchema = z
  .object({
    /** Stable id of the connection: names its cursors, checkpoints and Kafka transactional id. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"'),
    /** The Marketo instance (Munchkin id); calls of every connection on it share one daily budget. */
    instance: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"'),
    /** REST base URL without the /rest suffix, e.g. https://123-ABC-456.mktorest.com. */
    baseUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    clientId: z.string().min(1, 'is required'),
    clientSecret: z.string().min(1, 'is required'),
    /** Where the historical backfill starts. */
    startDate: isoDate,
    /** Tracked activity types, by name or id (absent: the defaults, see `activityTypesDefaulted`). */
    activityTypes: z
      .array(z.union([z.string().min(1), z.number().int().positive()]))
      .min(1)
      .optional(),
    /** Lead fields to pull (REST names), validated against leads/describe2.json at start. */
    leadFields: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_LEAD_FIELDS]),
    /** Marketo's daily API limit for the instance. */
    dailyQuota: z.number().int().positive().default(50_000),
    /** Calls per day left for the customer's other integrations. */
    quotaReserve: z.number().int().nonnegative().default(0),
    /** Calls per 20 s window (Marketo's hard limit is 100; Adobe advises about 50). */
    // Above 100 only makes sense against the simulator (benchmarks): Marketo answers 606.
    ratePer20s: z.number().int().min(1).max(100_000).default(50),
    /** Concurrent calls (Marketo's hard limit is 10). */
    maxInFlight: z.number().int().min(1).max(10).default(10),
    /** The Marketo objects to pull. */
    streams: z
      .array(z.enum(STREAM_KINDS))
      .min(1)
      .default([...STREAM_KINDS]),
    /** A Marketo call that has not answered by then is abandoned and retried. */
    requestTimeoutMs: z.number().int().min(10).default(30_000),
  })
  .refine((c) => c.quotaReserve < c.dailyQuota, { path: ['quotaReserve'], message: 'must be less than dailyQuota' })
  .transform((c) => ({
    ...c,
    activityTypes: c.activityTypes ?? [...DEFAULT_TRACKED_ACTIVITY_TYPES],
    /** The operator named no types: a default type the instance lacks is skipped, not a failure. */
    activityTypesDefaulted: c.activityTypes === undefined,
  }));

/** The whole service configuration. */
export const configSchema = z.object({
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1),
    clientId: z.string().min(1).default('marketo-stream'),
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'must be a valid topic name prefix')
      .default('marketo'),
    /** Partitions of new topics (activities and leads share it, so they stay co-partitioned). */
    partitions: z.number().int().min(1).max(1000).default(6),
    replicationFactor: z.number().int().min(1).default(1),
    /** Run each connection's Kafka producer on a worker thread of its own (frees the main thread for Marketo and Avro). */
    publisherThread: z.boolean().default(true),
    /** TLS towards the brokers (managed Kafka services require it). */
    ssl: kafkaSslSchema.default({ enabled: false, rejectUnauthorized: true }),
    /** SASL authentication (absent: none). */
    sasl: kafkaSaslSchema.optional(),
  }),
  schemaRegistry: z
    .object({
      /** The Confluent-compatible API root; https:// for TLS. Credentials in it move to username/password. */
      url: z.url({ protocol: /^https?$/ }),
      /** Basic auth (Confluent Cloud: the API key). */
      username: z.string().min(1).optional(),
      /** Basic auth (Confluent Cloud: the API secret). */
      password: z.string().min(1).optional(),
      tls: tlsSchema.optional(),
    })
    .transform(credentialsFromUrl)
    .superRefine((r, ctx) => {
      if ((r.username === undefined) !== (r.password === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [r.username ? 'password' : 'username'],
          message: 'is required with the other',
        });
      }
      if (r.tls && !r.url.startsWith('https:')) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be https:// when schemaRegistry.tls is set' });
      }
    }),
  redis: z
    .object({
      /** redis:// or rediss:// (TLS); may hold an ACL user and password (`rediss://user:pass@host:6380`). */
      url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
      /** ACL user (Redis 6+); overrides one in the URL. */
      username: z.string().min(1).optional(),
      /** Password of the ACL user (or of `default`); overrides one in the URL. */
      password: z.string().min(1).optional(),
      /** TLS settings; TLS itself is on with a rediss:// URL. */
      tls: tlsSchema.optional(),
    })
    .superRefine((r, ctx) => {
      if (r.tls && !r.url.startsWith('rediss:')) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be rediss:// when redis.tls is set' });
      }
    }),
  /** The regular look-back: a pass that re-reads the past re-reads this much (late arrivals). */
  lookbackMinutes: z.number().int().min(0).default(60),
  /**
   * An activities pass re-reads the regular look-back window at most this often; the passes between
   * only continue from Marketo's last token. 0: every pass re-reads it (each activity is then read
   * about lookbackMinutes × 60 / incrementIntervalSeconds times).
   */
  lookbackEveryMinutes: z.number().int().min(0).max(10_080).default(DEFAULT_LOOKBACK_EVERY_MINUTES),
  /** The deep look-back: an activities pass re-reads this many hours (activities shown hours late); 0: off. */
  deepLookbackHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 30)
    .default(26),
  /**
   * How the deep look-back re-reads its window: `auto` (default) through a Bulk Extract job where
   * that costs fewer calls than REST paging (a dense window; its file counts against the export
   * budget, and a spent budget falls back to REST), REST where the window is sparse; `bulk`: always
   * a job; `rest`: REST paging only. Bulk needs Redis (the instance's export budget).
   */
  deepLookbackMethod: z.enum(['auto', 'bulk', 'rest']).default('auto'),
  /** How often the deep look-back window is re-read. */
  deepLookbackEveryHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  /** Pause between incremental pulls, once the backfill is done. */
  incrementIntervalSeconds: z.number().int().min(1).default(300),
  /** Lifetime of a worker's lease on a connection; a crashed worker's connection is taken over after it. */
  leaseTtlSeconds: z.number().int().min(1).default(30),
  /**
   * A connection that failed on something only a person can fix (credentials, permissions, a
   * configured type or field that does not exist) is tried again this often, so a fix needs no restart.
   */
  failedRetryMinutes: z.number().int().min(1).max(1440).default(15),
  /** The zone whose midnight resets Marketo's daily quota. */
  quotaTimeZone: timeZone.default('America/Chicago'),
  /** After Marketo's 607, how often a call probes whether the quota is back (QUOTA_RECHECK_MINUTES). */
  quotaRecheckMinutes: z.number().int().min(1).default(15),
  /**
   * A 607 pause also ends this long after the local midnight (QUOTA_RESET_MARGIN_SECONDS): Marketo's
   * reset may come late, or its clock lag ours.
   */
  quotaResetMarginSeconds: z.number().int().min(1).default(120),
  /**
   * Backfill windows: a month, or a day where a month holds more than `dailySplitThreshold`
   * activities; and how the activity history is fetched (Bulk Extract or REST paging).
   */
  backfill: z
    .object({
      dailySplitThreshold: z.number().int().positive().default(100_000),
      /**
       * `auto`: per window, the cheaper of Bulk Extract and REST paging by the window's estimated
       * density (REST from the newest window onward); `bulk`: every complete window by Bulk
       * Extract; `rest`: REST paging only.
       */
      method: z.enum(['auto', 'bulk', 'rest']).default('auto'),
      /**
       * Share (0..1) of the connection's daily call quota the backfill may spend on REST paging
       * while the export budget is spent; beyond it the backfill waits for the export reset.
       */
      restShare: z.number().min(0).max(1).default(0.05),
      /** Length of a bulk backfill window in days (Marketo allows at most 31). */
      windowDays: z.number().int().min(1).max(31).default(31),
      /**
       * Where the bulk lead snapshot begins (LEAD_SNAPSHOT_SINCE): `earliest` (the default: the
       * createdAt of the instance's oldest lead, found with one leads.json call, so the snapshot
       * holds every lead), `start-date` (each connection's start date), or an ISO date (a
       * connection's start date when that is earlier).
       */
      leadSnapshotSince: z
        .string()
        .refine(
          (s) => s === 'earliest' || s === 'start-date' || !Number.isNaN(Date.parse(s)),
          'must be "earliest", "start-date" or an ISO-8601 date, e.g. 2024-01-01T00:00:00Z',
        )
        .default('earliest'),
    })
    .default({
      dailySplitThreshold: 100_000,
      method: 'auto',
      restShare: 0.05,
      windowDays: 31,
      leadSnapshotSince: 'earliest',
    }),
  /** Bulk Extract, per Marketo instance: the day's export budget (MB of files) and the job queue. */
  bulk: z
    .object({
      /** Export MB per day (Central) the instance is allowed: Marketo's default allocation is 500. */
      dailyMb: z.number().positive().default(500),
      /** Export MB per day left for the customer's other integrations. */
      reserveMb: z.number().nonnegative().default(50),
      /**
       * Export jobs of this service queued or processing at once on the instance. Marketo runs 2 at
       * a time: more would not finish sooner, and would fill the queue of 10 that the customer's
       * other integrations share.
       */
      maxJobs: z.number().int().min(1).max(10).default(2),
      /** First status poll of a job this long after enqueueing (Marketo refreshes a status once a minute). */
      pollMinSeconds: z.number().positive().default(60),
    })
    .refine((b) => b.reserveMb < b.dailyMb, { path: ['reserveMb'], message: 'must be less than dailyMb' })
    .default({ dailyMb: 500, reserveMb: 50, maxJobs: 2, pollMinSeconds: 60 }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` lines, `pretty` for people, or `auto`: pretty when stderr is a terminal. */
  logFormat: z.enum(['json', 'pretty', 'auto']).default('auto'),
  /** Port of /metrics, /livez and /readyz (0 turns the HTTP endpoints off). */
  metricsPort: z.number().int().min(0).max(65_535).default(9464),
  /**
   * A fleet: workers share the connections of the `<prefix>.connections` topic through a Kafka
   * consumer group (docs/fleet.md). Off: this process runs `connections` alone.
   */
  fleet: z
    .object({
      enabled: z.boolean().default(false),
      /** The workers' consumer group (default `<topicPrefix>.workers`). */
      groupId: z.string().min(1).optional(),
      /** A worker silent this long is dropped and its connections move (within the broker's group.min/max.session.timeout.ms). */
      sessionTimeoutMs: z.number().int().min(1_000).default(30_000),
      heartbeatIntervalMs: z.number().int().min(100).default(3_000),
    })
    .refine((f) => f.heartbeatIntervalMs < f.sessionTimeoutMs, {
      path: ['heartbeatIntervalMs'],
      message: 'must be less than sessionTimeoutMs',
    })
    .default({ enabled: false, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 }),
  /** The connections of a single process; a fleet takes them from its topic (at least one is checked in parseConfig). */
  connections: z.array(connectionSchema),
});

/** The validated configuration (defaults applied). */
export type Config = z.output<typeof configSchema>;
/** One validated connection. */
export type ConnectionConfig = z.output<typeof connectionSchema>;
/** TLS settings of one client, validated (`caFile` already read into `ca`). */
export type TlsConfig = z.output<typeof tlsSchema>;
/** The Kafka client settings. */
export type KafkaConfig = Config['kafka'];
/** The schema registry client settings. */
export type SchemaRegistryConfig = Config['schemaRegistry'];
/** The Redis client settings. */
export type RedisConfig = Config['redis'];
/** What a configuration file or object may contain before validation (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
