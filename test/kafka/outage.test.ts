import { describe, expect, it } from 'vitest';
import { isKafkaUnavailable } from '../../src/kafka/outage.ts';

const named = (name: string, message: string, cause?: unknown) =>
  Object.assign(new Error(message, { cause }), { name });

describe('isKafkaUnavailable', () => {
  it('sees a connection error under the non-retriable errors kafkajs wraps it in', () => {
    const refused = named('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const exhausted = named('KafkaJSNumberOfRetriesExceeded', refused.message, refused);
    expect(isKafkaUnavailable(named('KafkaJSNonRetriableError', refused.message, exhausted))).toBe(true);
    expect(isKafkaUnavailable(named('KafkaJSRequestTimeoutError', 'Request Produce(key: 0) timed out'))).toBe(true);
    expect(isKafkaUnavailable(named('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator'))).toBe(true);
    const loading = named('KafkaJSProtocolError', "The coordinator is loading and hence can't process requests");
    expect(isKafkaUnavailable(named('KafkaJSNumberOfRetriesExceeded', loading.message, loading))).toBe(true);
  });

  it('recognises one flattened by the publisher thread (name and message only)', () => {
    expect(isKafkaUnavailable(named('KafkaJSNonRetriableError', 'Connection error: connect ECONNREFUSED x:1'))).toBe(
      true,
    );
    expect(isKafkaUnavailable(named('KafkaJSNumberOfRetriesExceeded', 'Closed connection'))).toBe(true);
  });

  it('leaves real rejections alone', () => {
    expect(isKafkaUnavailable(named('KafkaJSProtocolError', 'The producer has been fenced'))).toBe(false);
    expect(isKafkaUnavailable(named('KafkaJSNonRetriableError', 'Topic authorization failed'))).toBe(false);
    expect(isKafkaUnavailable(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(isKafkaUnavailable(undefined)).toBe(false);
  });
});
