import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from '../log.ts';

// CONCURRENT_TRANSACTIONS right after a commit is expected (the coordinator is still writing the
// markers) and retried at once (see transactionalProducerConfig): not an error worth a log line.
const EXPECTED_RETRY = /concurrent operation on the same transaction/;

/**
 * A kafkajs `logCreator` that routes kafkajs's own log lines into pino, as a child logger with
 * `component: 'kafkajs'` and the kafkajs namespace; kafkajs levels map to pino levels of the same name,
 * except the expected CONCURRENT_TRANSACTIONS retries, logged at debug.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // kafkajs puts its own timestamp and logger name in every entry; pino writes its own.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const entry = { namespace, ...fields };
      const expected = level === logLevel.ERROR && EXPECTED_RETRY.test(`${String(fields.error ?? '')} ${message}`);
      switch (expected ? logLevel.DEBUG : level) {
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
