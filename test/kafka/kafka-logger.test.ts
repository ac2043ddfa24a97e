import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from '../../src/kafka/kafka-logger.ts';
import { createLogger } from '../../src/log.ts';

/** A kafkajs log function wired to pino at debug, and the JSON lines it wrote. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  const log = kafkaLogCreator(createLogger({ level: 'debug', destination }))(logLevel.DEBUG);
  const entry = (level: logLevel, message: string, fields: Record<string, unknown> = {}) =>
    log({
      namespace: 'Producer',
      level,
      label: 'x',
      log: { timestamp: 'ts', logger: 'kafkajs', message, broker: 'b:9092', ...fields },
    });
  return { lines, entry };
}

describe('kafkaLogCreator', () => {
  it('routes kafkajs entries into pino at the matching level', () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'boom');
    entry(logLevel.WARN, 'careful');
    entry(logLevel.INFO, 'hello');
    entry(logLevel.DEBUG, 'detail');
    entry(logLevel.NOTHING, 'never');
    entry(
      logLevel.ERROR,
      'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
    );
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'boom'],
      [40, 'careful'],
      [30, 'hello'],
      [20, 'detail'],
      [20, expect.stringContaining('concurrent operation on the same transaction')],
    ]);
    expect(lines[0]).toMatchObject({ component: 'kafkajs', namespace: 'Producer', broker: 'b:9092' });
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it('logs the transient states of a starting broker at warn, by the protocol error the entry names', () => {
    const { lines, entry } = capture();
    // The shapes kafkajs 2.2.4 uses: a failed response carries the error's message in `error`;
    // a retried send prefixes it; the broker pool logs the message alone.
    entry(logLevel.ERROR, 'Response FindCoordinator(key: 1, version: 2)', {
      error: "The coordinator is loading and hence can't process requests",
    });
    entry(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)', {
      error: 'The group coordinator is not available',
    });
    entry(
      logLevel.ERROR,
      'Failed to send messages: There is no leader for this topic-partition as we are in the middle of a leadership election',
    );
    entry(logLevel.ERROR, 'This is not the correct coordinator for this group', { retryCount: 1, retryTime: 300 });
    expect(lines.map((l) => l.level)).toEqual([40, 40, 40, 40]);
    expect(lines[0]).toMatchObject({ namespace: 'Producer', error: expect.stringContaining('coordinator is loading') });
  });

  it('keeps non-retriable protocol errors, crashes and unknown errors at error', () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', {
      error: 'The producer attempted to use a producer id which is not currently assigned to its transactional id',
    });
    entry(
      logLevel.ERROR,
      "Crash: KafkaJSNumberOfRetriesExceeded: The coordinator is loading and hence can't process requests",
      { retryCount: 5 },
    );
    entry(logLevel.ERROR, 'Failed to connect to broker, reconnecting', { retryCount: 1 });
    expect(lines.map((l) => l.level)).toEqual([50, 50, 50]);
  });

  it('trusts a retriable flag or a type the entry carries over its text', () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'The coordinator is loading, but not this time', { retriable: false });
    entry(logLevel.ERROR, 'something reworded', { type: 'NOT_COORDINATOR_FOR_GROUP' });
    entry(logLevel.ERROR, 'something else', { type: 'INVALID_PRODUCER_EPOCH' });
    expect(lines.map((l) => l.level)).toEqual([50, 40, 50]);
  });

  it('falls back to the message patterns when the text names no protocol error', () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'Restarting the consumer in 300ms', {
      error: 'Coordinator lookup failed: the coordinator is loading, try later',
    });
    entry(logLevel.ERROR, 'Restarting the consumer in 300ms', { error: 'Disk full' });
    expect(lines.map((l) => l.level)).toEqual([40, 50]);
  });
});
