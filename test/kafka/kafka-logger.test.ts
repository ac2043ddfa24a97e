import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from '../../src/kafka/kafka-logger.ts';
import { createLogger } from '../../src/log.ts';

describe('kafkaLogCreator', () => {
  it('routes kafkajs entries into pino at the matching level', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()));
        cb();
      },
    });
    const log = kafkaLogCreator(createLogger({ level: 'debug', destination }))(logLevel.DEBUG);
    const entry = (level: logLevel, message: string) =>
      log({
        namespace: 'Producer',
        level,
        label: 'x',
        log: { timestamp: 'ts', logger: 'kafkajs', message, broker: 'b:9092' },
      });
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
});
