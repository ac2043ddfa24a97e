import { createRequire } from 'node:module';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from '../log.ts';

/** One row of kafkajs's table of Kafka protocol errors. */
interface ProtocolErrorCode {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}

// kafkajs's own table of protocol errors (type, retriable flag, message). Its log lines carry an
// error's message but not its type, so the message leads back to the type and the flag. The table
// is not part of kafkajs's typed API; the unit test pins the rows this module relies on.
const PROTOCOL_ERRORS: readonly ProtocolErrorCode[] = (
  createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: ProtocolErrorCode[] }
).errorCodes;
const PROTOCOL_ERROR_BY_MESSAGE = new Map(PROTOCOL_ERRORS.map((e) => [e.message, e]));

// Used only where a line's text does not lead to a protocol error (a wrapped or reworded message).
// These are the states a broker passes through while it starts or moves a coordinator.
const CONCURRENT_TRANSACTIONS_TEXT = /concurrent operation on the same transaction/i;
const TRANSIENT_FALLBACK: readonly RegExp[] = [
  /coordinator is loading/i,
  /group coordinator is not available/i,
  /no leader for this topic-partition/i,
  /not the correct coordinator/i,
  CONCURRENT_TRANSACTIONS_TEXT,
];

// kafkajs prefixes some messages with what it was doing.
const MESSAGE_PREFIXES = ['Failed to send messages: '];

/**
 * The level for a kafkajs error-level entry: `debug` for the CONCURRENT_TRANSACTIONS retry right
 * after a commit (expected: the coordinator is still writing the markers; see
 * transactionalProducerConfig), `warn` for another retriable state kafkajs retries by itself
 * (coordinator loading or moving, leader election), `error` for everything else, a consumer crash
 * included. Decided by the entry's `retriable` flag or `type` where it carries one, else by the
 * kafkajs protocol error whose message it carries, else by the fallback patterns.
 */
function errorEntryLevel(message: string, fields: Record<string, unknown>): 'error' | 'warn' | 'debug' {
  if (message.startsWith('Crash:')) return 'error';
  const text = `${String(fields.error ?? '')} ${message}`;
  const protocolError = protocolErrorOf(message, fields);
  // A fleet's workers rebalance whenever one joins or leaves; kafkajs re-joins and says so at warn.
  if (protocolError?.type === 'REBALANCE_IN_PROGRESS') return 'debug';
  const retriable =
    typeof fields.retriable === 'boolean'
      ? fields.retriable
      : (protocolError?.retriable ?? TRANSIENT_FALLBACK.some((pattern) => pattern.test(text)));
  if (!retriable) return 'error';
  const afterCommit = protocolError
    ? protocolError.type === 'CONCURRENT_TRANSACTIONS'
    : CONCURRENT_TRANSACTIONS_TEXT.test(text);
  return afterCommit ? 'debug' : 'warn';
}

function protocolErrorOf(message: string, fields: Record<string, unknown>): ProtocolErrorCode | undefined {
  if (typeof fields.type === 'string') {
    const byType = PROTOCOL_ERRORS.find((e) => e.type === fields.type);
    if (byType) return byType;
  }
  const candidates = [
    fields.error,
    message,
    ...MESSAGE_PREFIXES.map((p) => message.startsWith(p) && message.slice(p.length)),
  ];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const found = PROTOCOL_ERROR_BY_MESSAGE.get(candidate);
    if (found) return found;
  }
  return undefined;
}

/**
 * A kafkajs `logCreator` that routes kafkajs's own log lines into pino, as a child logger with
 * `component: 'kafkajs'` and the kafkajs namespace; kafkajs levels map to pino levels of the same name,
 * except error-level entries for transient states kafkajs retries itself (see `errorEntryLevel`).
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
          child[errorEntryLevel(message, fields)](entry, message);
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
