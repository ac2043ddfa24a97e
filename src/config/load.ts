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
  ['SCHEMA_REGISTRY_URL', 'schemaRegistry.url', String],
  ['REDIS_URL', 'redis.url', String],
  ['LOOKBACK_MINUTES', 'lookbackMinutes', num],
  ['INCREMENT_INTERVAL_SECONDS', 'incrementIntervalSeconds', num],
  ['QUOTA_TIME_ZONE', 'quotaTimeZone', String],
  ['LEASE_TTL_SECONDS', 'leaseTtlSeconds', num],
  ['BULK_DAILY_MB', 'bulk.dailyMb', num],
  ['BULK_RESERVE_MB', 'bulk.reserveMb', num],
  ['BULK_MAX_JOBS', 'bulk.maxJobs', num],
  ['LOG_LEVEL', 'logLevel', String],
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
  for (const [name, path, read] of ENV_FIELDS) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(input, path, read(v));
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path, read] of ENV_CONNECTION) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(fromEnv, path, read(v));
  }
  if (Object.keys(fromEnv).length > 0) {
    const connections = (input.connections as Record<string, unknown>[] | undefined) ?? [];
    // The environment describes (or overrides) the first connection.
    input.connections = [{ ...connections[0], ...fromEnv }, ...connections.slice(1)];
  }
  return parseConfig(input as ConfigInput);
}

/** Validates a configuration object (see loadConfig) and returns it deeply frozen. */
export function parseConfig(input: ConfigInput): Readonly<Config> {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      const message = issue.message.replace(/^Invalid input: expected \w+, received undefined$/, 'is required');
      const envName = envNameOf(issue.path);
      return `${field}${envName ? ` (${envName})` : ''}: ${message}`;
    });
    throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      field: String(parsed.error.issues[0]?.path.join('.') ?? ''),
    });
  }
  return deepFreeze(parsed.data);
}

/** The environment variable that sets a config path, for error messages. */
function envNameOf(path: PropertyKey[]): string | undefined {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  if (dotted === 'connections') return 'MARKETO_* variables or CONFIG_FILE';
  if (path[0] === 'connections' && path[1] === 0) {
    return ENV_CONNECTION.find(([, p]) => p === String(path[2]))?.[0];
  }
  return ENV_FIELDS.find(([, p]) => dotted.startsWith(p) || p.startsWith(dotted))?.[0];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
