import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/index.ts';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
});

describe('kafkajs request queue on Node 24', () => {
  it('answers to requests arm no negative timer (no TimeoutNegativeWarning)', async () => {
    process.on('warning', onWarning);
    const admin = createKafka({
      clientId: 'request-queue-fix',
      brokers: process.env.KAFKA_BROKERS!.split(','),
    }).admin();
    await admin.connect();
    try {
      for (let i = 0; i < 5; i++) expect(Array.isArray(await admin.listTopics())).toBe(true);
      await admin.fetchTopicMetadata();
    } finally {
      await admin.disconnect();
    }
    // Warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'TimeoutNegativeWarning').map((w) => w.message)).toEqual([]);
  });
});
