import { type Logger, pino } from 'pino';

// Fields that hold a secret wherever they appear in a logged object, a configuration dump included
// (`{ config }` puts kafka.sasl.password four levels down). pino's paths have no recursive
// wildcard, so each key is listed at every depth up to MAX_DEPTH.
const SECRET_KEYS = ['clientSecret', 'client_secret', 'accessToken', 'access_token', 'authorization', 'password'];
const MAX_DEPTH = 5;
const anyDepth = (key: string) => Array.from({ length: MAX_DEPTH }, (_, depth) => `${'*.'.repeat(depth)}${key}`);
// URLs may carry credentials (rediss://user:pass@host): their password part is blanked, the rest kept.
const URL_KEYS = ['url', 'redisUrl'];

/** Paths pino blanks out wherever they appear: secrets never reach a log line. */
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap(anyDepth),
  '*.headers.authorization',
  'connections[*].clientSecret',
  '*.connections[*].clientSecret',
  ...URL_KEYS.flatMap(anyDepth),
];

const CENSOR = '[redacted]';

function censor(value: unknown, path: string[]): unknown {
  if (!URL_KEYS.includes(path.at(-1) ?? '')) return CENSOR;
  if (typeof value !== 'string') return value;
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = CENSOR;
    return url.toString();
  } catch {
    return value;
  }
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
      redact: { paths: REDACTED_PATHS, censor },
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
