import { type Admin, CompressionTypes, type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpAfterFile } from '../support/cleanup.ts';
import { consumeUntil, createTopics, testKafka, uniqueName } from './helpers.ts';

cleanUpAfterFile();

// Proves the broker does what the pipeline relies on: idempotent produce, and transactions whose
// aborted records a read_committed consumer never sees (kafkajs consumers are read_committed
// unless `readUncommitted: true`).
describe('local Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka('stack-kafka-test');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('round-trips messages through an idempotent producer and a consumer group', async () => {
    const topic = uniqueName('stack-idempotent');
    await createTopics(admin, [topic], 3);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const sent = Array.from({ length: 20 }, (_, i) => ({ key: `inst:${i}`, value: `value-${i}` }));
      await producer.send({ topic, messages: sent, compression: CompressionTypes.None });
      const seen = await consumeUntil(kafka, [topic], (s) => s.length >= sent.length);
      expect(seen).toHaveLength(sent.length);
      expect(new Set(seen.map((m) => `${m.key}=${m.value?.toString()}`))).toEqual(
        new Set(sent.map((m) => `${m.key}=${m.value}`)),
      );
      // Keyed messages spread over the partitions (the default partitioner hashes the key).
      expect(new Set(seen.map((m) => m.partition)).size).toBeGreaterThan(1);
    } finally {
      await producer.disconnect();
    }
  });

  it('shows committed transactions and hides aborted ones from a read_committed consumer', async () => {
    const topic = uniqueName('stack-txn');
    await createTopics(admin, [topic], 2);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: uniqueName('stack-txn-id'),
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({
        topic,
        messages: [
          { key: 'a', value: 'committed-1' },
          { key: 'b', value: 'committed-2' },
        ],
      });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({
        topic,
        messages: [
          { key: 'a', value: 'aborted-1' },
          { key: 'b', value: 'aborted-2' },
        ],
      });
      await aborted.abort();

      // A sentinel committed after the abort: once it is seen, everything before it has been read.
      const sentinel = await producer.transaction();
      await sentinel.send({ topic, messages: [{ key: 'a', value: 'sentinel' }] });
      await sentinel.commit();

      const committedView = await consumeUntil(kafka, [topic], (s) =>
        s.some((m) => m.value?.toString() === 'sentinel'),
      );
      expect(committedView.map((m) => m.value?.toString()).sort()).toEqual(['committed-1', 'committed-2', 'sentinel']);

      // The aborted records are in the log: a read_uncommitted consumer does see them.
      const uncommittedView = await consumeUntil(kafka, [topic], (s) => s.length >= 5, { readUncommitted: true });
      expect(uncommittedView.map((m) => m.value?.toString()).sort()).toEqual([
        'aborted-1',
        'aborted-2',
        'committed-1',
        'committed-2',
        'sentinel',
      ]);
    } finally {
      await producer.disconnect();
    }
  });
});
