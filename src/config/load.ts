import { readFileSync } from 'node:fs';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { type Config, type ConfigInput, configSchema } from './schema.ts';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
const bool = (v: string) => {
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return v; // left for the schema to reject, naming the field
};
const typeList = (v: string) => list(v).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Environment variable → config path, with how to read its text. */
const ENV_FIELDS: ReadonlyArray<[string, string, (v: string) => unknown]> = [
  ['KAFKA_BROKERS', 'kafka.brokers', list],
  ['KAFKA_CLIENT_ID', 'kafka.clientId', String],
  ['TOPIC_PREFIX', 'kafka.topicPrefix', String],
  ['TOPIC_PARTITIONS', 'kafka.partitions', num],
  ['TOPIC_REPLICATION_FACTOR', 'kafka.replicationFactor', num],
  ['KAFKA_PUBLISHER_THREAD', 'kafka.publisherThread', bool],
  ['KAFKA_SSL', 'kafka.ssl.enabled', bool],
  ['KAFKA_SSL_CA', 'kafka.ssl.ca', String],
  ['KAFKA_SSL_CA_FILE', 'kafka.ssl.caFile', String],
  ['KAFKA_SSL_SERVERNAME', 'kafka.ssl.servername', String],
  ['KAFKA_SSL_REJECT_UNAUTHORIZED', 'kafka.ssl.rejectUnauthorized', bool],
  ['KAFKA_SASL_MECHANISM', 'kafka.sasl.mechanism', String],
  ['KAFKA_SASL_USERNAME', 'kafka.sasl.username', String],
  ['KAFKA_SASL_PASSWORD', 'kafka.sasl.password', String],
  ['KAFKA_SASL_REAUTH_THRESHOLD_MS', 'kafka.sasl.reauthenticationThresholdMs', num],
  ['SCHEMA_REGISTRY_URL', 'schemaRegistry.url', String],
  ['SCHEMA_REGISTRY_USERNAME', 'schemaRegistry.username', String],
  ['SCHEMA_REGISTRY_PASSWORD', 'schemaRegistry.password', String],
  ['SCHEMA_REGISTRY_TLS_CA', 'schemaRegistry.tls.ca', String],
  ['SCHEMA_REGISTRY_TLS_CA_FILE', 'schemaRegistry.tls.caFile', String],
  ['SCHEMA_REGISTRY_TLS_SERVERNAME', 'schemaRegistry.tls.servername', String],
  ['SCHEMA_REGISTRY_TLS_REJECT_UNAUTHORIZED', 'schemaRegistry.tls.rejectUnauthorized', bool],
  ['REDIS_URL', 'redis.url', String],
  ['REDIS_USERNAME', 'redis.username', String],
  ['REDIS_PASSWORD', 'redis.password', String],
  ['REDIS_TLS_CA', 'redis.tls.ca', String],
  ['REDIS_TLS_CA_FILE', 'redis.tls.caFile', String],
  ['REDIS_TLS_SERVERNAME', 'redis.tls.servername', String],
  ['REDIS_TLS_REJECT_UNAUTHORIZED', 'redis.tls.rejectUnauthorized', bool],
  ['LOOKBACK_MINUTES', 'lookbackMinutes', num],
  ['LOOKBACK_EVERY_MINUTES', 'lookbackEveryMinutes', num],
  ['DEEP_LOOKBACK_HOURS', 'deepLookbackHours', num],
  ['DEEP_LOOKBACK_EVERY_HOURS', 'deepLookbackEveryHours', num],
  ['DEEP_LOOKBACK_METHOD', 'deepLookbackMethod', String],
  ['INCREMENT_INTERVAL_SECONDS', 'incrementIntervalSeconds', num],
  ['QUOTA_TIME_ZONE', 'quotaTimeZone', String],
  ['QUOTA_RECHECK_MINUTES', 'quotaRecheckMinutes', num],
  ['QUOTA_RESET_MARGIN_SECONDS', 'quotaResetMarginSeconds', num],
  ['LEASE_TTL_SECONDS', 'leaseTtlSeconds', num],
  ['FAILED_RETRY_MINUTES', 'failedRetryMinutes', num],
  ['BULK_DAILY_MB', 'bulk.dailyMb', num],
  ['BULK_RESERVE_MB', 'bulk.reserveMb', num],
  ['BULK_MAX_JOBS', 'bulk.maxJobs', num],
  ['FLEET_ENABLED', 'fleet.enabled', bool],
  ['FLEET_GROUP_ID', 'fleet.groupId', String],
  ['FLEET_SESSION_TIMEOUT_MS', 'fleet.sessionTimeoutMs', num],
  ['FLEET_HEARTBEAT_INTERVAL_MS', 'fleet.heartbeatIntervalMs', num],
  ['BULK_POLL_MIN_SECONDS', 'bulk.pollMinSeconds', num],
  ['BACKFILL_METHOD', 'backfill.method', String],
  ['BACKFILL_REST_SHARE', 'backfill.restShare', num],
  ['BACKFILL_WINDOW_DAYS', 'backfill.windowDays', num],
  ['LEAD_SNAPSHOT_SINCE', 'backfill.leadSnapshotSince', String],
  ['LOG_LEVEL', 'logLevel', String],
  ['LOG_FORMAT', 'logFormat', String],
  ['METRICS_PORT', 'metricsPort', num],
];

/** Variables of the single connection that can be given through the environment alone. */
const ENV_CONNECTION: ReadonlyArray<[string, string, (v: string) => unknown]> = [
  ['MARKETO_CONNECTION_ID', 'id', String],
  ['MARKETO_INSTANCE', 'instance', String],
  ['MARKETO_BASE_URL', 'baseUrl', String],
  ['MARKETO_CLIENT_ID', 'clientId', String],
  ['MARKETO_CLIENT_SECRET', 'clientSecret', String],
  ['MARKETO_START_DATE', 'startDate', String],
  ['MARKETO_ACTIVITY_TYPES', 'activityTypes', typeList],
  ['MARKETO_LEAD_FIELDS', 'leadFields', list],
  ['MARKETO_DAILY_QUOTA', 'dailyQuota', num],
  ['MARKETO_QUOTA_RESERVE', 'quotaReserve', num],
  ['MARKETO_RATE_PER_20S', 'ratePer20s', num],
  ['MARKETO_MAX_IN_FLIGHT', 'maxInFlight', num],
  ['MARKETO_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', num],
  ['MARKETO_STREAMS', 'streams', list],
];

/**
 * Variables that may instead name a file holding the value (`<VAR>_FILE`, the Docker and Kubernetes
 * secrets convention): credentials, and URLs because they may embed credentials.
 */
const FILE_VARIABLES = new Set([
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_URL',
  'SCHEMA_REGISTRY_USERNAME',
  'SCHEMA_REGISTRY_PASSWORD',
  'REDIS_URL',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'MARKETO_CLIENT_ID',
  'MARKETO_CLIENT_SECRET',
]);

/** Config-file fields that may instead be given as `<field>File` (a path to a file holding the value). */
const FILE_FIELDS = [
  'kafka.sasl.username',
  'kafka.sasl.password',
  'schemaRegistry.username',
  'schemaRegistry.password',
  'redis.username',
  'redis.password',
];
const CONNECTION_FILE_FIELDS = ['clientId', 'clientSecret'];

/** A secret file's content; one trailing newline (as editors and `echo` leave it) is not part of the secret. */
function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${what}: cannot read ${path}: ${(err as Error).message}`, {
      field: what,
    });
  }
}

/** The value of environment variable `name`, or of the file `<name>_FILE` names; both set is an error. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = FILE_VARIABLES.has(name) ? env[`${name}_FILE`] : undefined;
  if (file !== undefined && file !== '') {
    if (direct !== undefined && direct !== '') {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${name} and ${name}_FILE are both set: give one`, {
        field: name,
      });
    }
    return readSecretFile(file, `${name}_FILE`);
  }
  return direct === '' ? undefined : direct;
}

/** Replaces `<field>File` entries of a configuration file by the files' contents. */
function resolveFileFields(node: Record<string, unknown>, fields: readonly string[], where: string): void {
  for (const path of fields) {
    const parts = path.split('.');
    const key = parts.pop()!;
    let parent: unknown = node;
    for (const part of parts) parent = (parent as Record<string, unknown> | undefined)?.[part];
    if (!parent || typeof parent !== 'object') continue;
    const holder = parent as Record<string, unknown>;
    const file = holder[`${key}File`];
    if (file === undefined) continue;
    const field = `${where}${path}File`;
    if (typeof file !== 'string' || file === '') {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${field}: must be a file path`, { field });
    }
    if (holder[key] !== undefined) {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${field}: ${where}${path} is set too: give one`, {
        field,
      });
    }
    holder[key] = readSecretFile(file, field);
    delete holder[`${key}File`];
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] = (node[part] as Record<string, unknown> | undefined) ?? {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

/**
 * Builds the configuration from an optional JSON file (`CONFIG_FILE`) overlaid with environment
 * variables, validates it once and returns it deeply frozen. Throws MarketoStreamError
 * (CONFIG_INVALID) whose message names every offending field and what is wrong with it;
 * secrets are never echoed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.CONFIG_FILE): Readonly<Config> {
  let input: Record<string, unknown> = {};
  if (file) {
    try {
      input = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `CONFIG_FILE (${file}): ${(err as Error).message}`, {
        field: 'CONFIG_FILE',
      });
    }
  }
  resolveFileFields(input, FILE_FIELDS, '');
  if (Array.isArray(input.connections)) {
    input.connections.forEach((c, i) => {
      if (c && typeof c === 'object') resolveFileFields(c, CONNECTION_FILE_FIELDS, `connections.${i}.`);
    });
  }
  for (const [name, path, read] of ENV_FIELDS) {
    const v = envValue(env, name);
    if (v !== undefined) setPath(input, path, read(v));
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path, read] of ENV_CONNECTION) {
    const v = envValue(env, name);
    if (v !== undefined) setPath(fromEnv, path, read(v));
  }
  if (Object.keys(fromEnv).length > 0) {
    const connections = (input.connections as Record<string, unknown>[] | undefined) ?? [];
    // The environment describes (or overrides) the first connection.
    input.connections = [{ ...connections[0], ...fromEnv }, ...connections.slice(1)];
  }
  // A fleet takes its connections from its topic: the environment then needs none.
  if (input.connections === undefined && (input.fleet as { enabled?: unknown } | undefined)?.enabled === true) {
    input.connections = [];
  }
  return parseConfig(input as ConfigInput);
}

/** The connection-independent settings of the environment, by section (see {@link serviceSettingsFromEnv}). */
export interface ServiceSettingsInput {
  kafka: Record<string, unknown>;
  schemaRegistry: Record<string, unknown>;
  redis: Record<string, unknown>;
}

/**
 * The Kafka, schema registry and Redis settings the environment gives (the variables loadConfig
 * reads, `<VAR>_FILE` forms included), unvalidated: for tools that build the rest of their
 * configuration themselves (the demo, benchmarks) and must connect as the service would.
 */
export function serviceSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceSettingsInput {
  const input: Record<string, unknown> = {};
  for (const [name, path, read] of ENV_FIELDS) {
    if (!/^(kafka|schemaRegistry|redis)\./.test(path)) continue;
    const v = envValue(env, name);
    if (v !== undefined) setPath(input, path, read(v));
  }
  const section = (name: string) => (input[name] as Record<string, unknown> | undefined) ?? {};
  return { kafka: section('kafka'), schemaRegistry: section('schemaRegistry'), redis: section('redis') };
}

/** What the schema cannot see field by field: a single process needs a connection (a fleet takes them from its topic). */
function missingConnections(config: Config): { path: PropertyKey[]; message: string }[] {
  return !config.fleet.enabled && config.connections.length === 0
    ? [{ path: ['connections'], message: 'needs at least one connection' }]
    : [];
}

/** Validates a configuration object (see loadConfig) and returns it deeply frozen. */
export function parseConfig(input: ConfigInput): Readonly<Config> {
  const parsed = configSchema.safeParse(input);
  const issues = parsed.success ? missingConnections(parsed.data) : parsed.error.issues;
  if (!parsed.success || issues.length > 0) throw invalidConfiguration(issues);
  return deepFreeze(parsed.data);
}

/** The validated Kafka and schema-registry settings alone: what a tool that reads the topics needs. */
export type TopicReaderSettings = Pick<Config, 'kafka' | 'schemaRegistry'>;

/**
 * Validates the Kafka and schema-registry settings of `input` as the service does (TLS, SASL,
 * credentials and `_FILE` secrets included), for tools such as the example consumer; throws
 * CONFIG_INVALID naming the field and its variable.
 */
export function parseTopicReaderSettings(
  input: Pick<ServiceSettingsInput, 'kafka' | 'schemaRegistry'>,
): Readonly<TopicReaderSettings> {
  const parsed = configSchema.pick({ kafka: true, schemaRegistry: true }).safeParse(input);
  if (!parsed.success) throw invalidConfiguration(parsed.error.issues);
  return deepFreeze(parsed.data);
}

function invalidConfiguration(issues: readonly { path: PropertyKey[]; message: string }[]): MarketoStreamError {
  const problems = issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const message = issue.message.replace(/^Invalid input: expected \w+, received undefined$/, 'is required');
    const envName = envNameOf(issue.path);
    return `${field}${envName ? ` (${envName})` : ''}: ${message}`;
  });
  return new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  ${problems.join('\n  ')}`, {
    field: String(issues[0]?.path.join('.') ?? ''),
  });
}

/** The environment variable that sets a config path, for error messages. */
function envNameOf(path: PropertyKey[]): string | undefined {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  if (dotted === 'connections') return 'MARKETO_* variables or CONFIG_FILE';
  if (path[0] === 'connections' && path[1] === 0) {
    return ENV_CONNECTION.find(([, p]) => p === String(path[2]))?.[0];
  }
  const exact = ENV_FIELDS.find(([, p]) => p === dotted);
  return (exact ?? ENV_FIELDS.find(([, p]) => dotted.startsWith(p) || p.startsWith(dotted)))?.[0];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
