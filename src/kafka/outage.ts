/**
 * kafkajs error names that mean "the cluster is unreachable or busy right now": a connection
 * refused or closed, a request timed out, no broker or coordinator found (a restarted broker
 * loading its coordinators), metadata not loaded.
 */
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
]);

/**
 * Messages of kafkajs's connection failures, for errors that lost their cause on the way (the
 * publisher thread hands errors back flattened: name, message, code and retriable only).
 */
const UNAVAILABLE_MESSAGE =
  /^(Connection (error|timeout)|Closed connection|Request .* timed out|Failed to connect|Failed to find group coordinator|The coordinator is (loading|not available)|There is no leader)|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/;

/**
 * Whether `err` is, or was caused by, Kafka being unavailable. kafkajs gives up after its own
 * retries by wrapping the connection error in a non-retriable one (KafkaJSNumberOfRetriesExceeded,
 * KafkaJSNonRetriableError), so the cause chain is what tells a broker outage, which the service
 * waits out, from a real rejection.
 */
export function isKafkaUnavailable(err: unknown): boolean {
  let e = err as { name?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 10; depth++) {
    if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
    const { message } = e as { message?: unknown };
    if (typeof e.name === 'string' && e.name.startsWith('KafkaJS') && typeof message === 'string') {
      if (UNAVAILABLE_MESSAGE.test(message)) return true;
    }
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}
