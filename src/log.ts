import { type Logger, pino } from 'pino';

// Fields that hold a secret wherever they appear in a logged object, a configuration dump included
// (`{ config }` puts kafka.sasl.password four levels down). pino's own `redact` paths have no
// recursive wildcard, and its wildcards copy Buffers into plain objects whose serialization then
// throws (kafkajs's debug entries carry Buffers), so redaction is done here, on plain objects only.
const SECRET_KEYS = new Set([
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'authorization',
  'password',
]);
// URLs may carry credentials (rediss://user:pass@host): their password part is blanked, the rest kept.
const URL_KEYS = new Set(['url', 'redisUrl']);
const MAX_DEPTH = 8;
const CENSOR = '[redacted]';

function censorUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = CENSOR;
    return url.toString();
  } catch {
    return value;
  }
}

/**
 * `value` with every secret field blanked: plain objects and arrays are copied where something
 * changes (the caller's object is never touched); anything else (Buffers, Errors, class instances)
 * is left to pino's serializers and to the secret scrubber.
 */
export function redactSecrets(value: unknown, key = '', depth = 0): unknown {
  if (SECRET_KEYS.has(key)) return value === undefined || value === null ? value : CENSOR;
  if (URL_KEYS.has(key) && typeof value === 'string') return censorUrl(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => redactSecrets(item, '', depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let changed = false;
  const entries = Object.entries(value).map(([k, v]) => {
    const r = redactSecrets(v, k, depth + 1);
    if (r !== v) changed = true;
    return [k, r] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/** Replaces every occurrence of each secret (raw and as JSON escapes it) in a serialized log line. */
function scrubber(secrets: readonly string[]): ((line: string) => string) | undefined {
  const forms = [...new Set(secrets.filter((s) => s.length > 0).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  if (forms.length === 0) return undefined;
  return (line) => {
    let out = line;
    for (const form of forms) if (out.includes(form)) out = out.replaceAll(form, CENSOR);
    return out;
  };
}

export interface LoggerOptions {
  level?: string;
  destination?: NodeJS.WritableStream;
  /**
   * Secret values (see `secretValues(config)`) scrubbed from every line whatever field or message
   * carries them: the last line of defence behind the structural redaction.
   */
  secrets?: readonly string[];
}

/** The root logger. Components take `logger.child({ component: '…' })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const streamWrite = scrubber(options.secrets ?? []);
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      ...(streamWrite ? { hooks: { streamWrite } } : {}),
    },
    options.destination ?? process.stderr,
  );
}

/**
 * Sends the process's (or worker thread's) warnings to `logger` instead of stderr, dropping
 * TimeoutNegativeWarning: kafkajs 2.2.4 arms a timer at (throttledUntil - now) with
 * throttledUntil = -1 when idle, harmless, but Node >= 24 warns about it.
 */
export function routeProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') logger.warn({ err: warning }, 'Node.js warning');
  });
}

export type { Logger };
