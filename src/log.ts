import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { PinoPretty } from 'pino-pretty';

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

/** How log lines are written: JSON lines, pretty-printed for people, or pretty only on a terminal. */
export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: string;
  /** Default stderr. */
  destination?: DestinationStream & { isTTY?: boolean };
  /** Default `auto`: pretty when the destination is a terminal, JSON lines otherwise. */
  format?: LogFormat;
  /**
   * Secret values (see `secretValues(config)`) scrubbed from every line whatever field or message
   * carries them: the last line of defence behind the structural redaction.
   */
  secrets?: readonly string[];
}

/** The root logger. Components take `logger.child({ component: '…' })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const streamWrite = scrubber(options.secrets ?? []);
  const destination = options.destination ?? process.stderr;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      ...(streamWrite ? { hooks: { streamWrite } } : {}),
    },
    // pino-pretty formats the line after the scrubber has seen it, so the same secrets are blanked.
    pretty ? prettyStream(destination) : destination,
  );
}

/** Lines for people: time, level and message first, then the fields; colours only on a terminal. */
function prettyStream(destination: DestinationStream & { isTTY?: boolean }): DestinationStream {
  return PinoPretty({
    destination: destination as NodeJS.WritableStream,
    colorize: destination.isTTY === true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: 'pid,hostname',
  });
}

/** A pino destination handing each serialized line to `send` (a worker thread posts it to the main thread). */
export function lineDestination(send: (line: string) => void): DestinationStream {
  return { write: (line: string) => send(line) };
}

/** Fields of a serialized line that the relaying logger sets itself. */
const RELAYED_OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/**
 * Logs a line another pino logger serialized (a worker thread's, see {@link lineDestination})
 * through `logger`: same level, fields and message, with `logger`'s bindings, destination, format
 * and secret scrubbing.
 */
export function relayLogLine(logger: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ line: line.slice(0, 500) }, 'unreadable log line from a worker thread');
    return;
  }
  const label = typeof entry.level === 'number' ? logger.levels.labels[entry.level] : undefined;
  const level: Level = label !== undefined && label in logger.levels.values ? (label as Level) : 'info';
  const fields = Object.fromEntries(Object.entries(entry).filter(([k]) => !RELAYED_OWN_FIELDS.has(k)));
  logger[level](fields, typeof entry.msg === 'string' ? entry.msg : '');
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
