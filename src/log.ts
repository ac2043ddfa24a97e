import { type Logger, pino } from 'pino';

/** Paths pino blanks out wherever they appear: secrets never reach a log line. */
export const REDACTED_PATHS = [
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'client_secret',
  '*.client_secret',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
];

/** The root logger. Components take `logger.child({ component: '…' })`. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
