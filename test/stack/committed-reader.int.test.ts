import { type Admin, type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpAfterFile } from '../support/cleanup.ts';
import { hasOpenTransaction, readWholeTopic } from '../support/committed-reader.ts';
import { createTopics, testKafka, uniqueName } from './helpers.ts';

cleanUpAfterFile();

// The exactly-once assertions rest on this reader: it must see exactly the committed records, read
// past transaction markers to the end, and see aborted records only when asked to.
describe('the tests’ committed-record reader', () => {
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    kafka = testKafka('committed-reader-test');
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  it('reads committed records only, to the end, and aborted ones too when read_uncommitted', async () => {
    const topic = uniqueName('checker');
    await createTopics(admin, [topic], 2);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: uniqueName('checker-tx'),
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const send = async (ids: string[], outcome: 'commit' | 'abort') => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: ids.map((id) => ({ key: id, value: id, headers: { ce_id: id } })) });
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    };
    try {
      await send(['a', 'b', 'c'], 'commit');
      await send(['x', 'y'], 'abort');
      await send(['d'], 'commit'); // after the aborted records and their markers
      await send(['z'], 'abort'); // the log ends with an aborted transaction's marker
    } finally {
      await producer.disconnect();
    }

    const committed = await readWholeTopic(topic);
    expect(committed.map((r) => r.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(committed.every((r) => r.key === r.id && r.value?.toString() === r.id)).toBe(true);
    const all = await readWholeTopic(topic, { isolation: 'read_uncommitted' });
    expect(all.map((r) => r.id).sort()).toEqual(['a', 'b', 'c', 'd', 'x', 'y', 'z']);
    expect(await readWholeTopic(await emptyTopic())).toEqual([]);
  });

  it('tells whether a transaction with records is open', async () => {
    const topic = uniqueName('checker-open');
    await createTopics(admin, [topic], 1);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: uniqueName('checker-o'),
    });
    await producer.connect();
    try {
      const first = await producer.transaction();
      await first.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
      await first.commit();
      expect(await hasOpenTransaction(topic)).toBe(false);
      const open = await producer.transaction();
      await open.send({ topic, messages: [{ key: 'k', value: 'pending' }] });
      expect(await hasOpenTransaction(topic)).toBe(true);
      await open.abort();
      expect(await hasOpenTransaction(topic)).toBe(false);
    } finally {
      await producer.disconnect();
    }
  });

  async function emptyTopic(): Promise<string> {
    const topic = uniqueName('checker-empty');
    await createTopics(admin, [topic], 1);
    return topic;
  }
});
