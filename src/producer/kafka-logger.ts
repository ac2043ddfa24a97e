import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from '../log.ts';

/**
 * A kafkajs `logCreator` that routes kafkajs's own log lines into pino, as a child logger with
 * `component: 'kafkajs'` and the kafkajs namespace; kafkajs levels map to pino levels of the same name.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // kafkajs puts its own timestamp and logger name in every entry; pino writes its own.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const entry = { namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
          child.error(entry, message);
          break;
        case logLevel.WARN:
          child.warn(entry, message);
          break;
        case logLevel.INFO:
          child.info(entry, message);
          break;
        case logLevel.DEBUG:
          child.debug(entry, message);
          break;
        default:
          break;
      }
    };
}
