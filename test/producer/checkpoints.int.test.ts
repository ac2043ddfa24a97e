import { type Admin, type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { readCheckpoints } from '../../src/producer/checkpoints.ts';
import { packMessages } from '../../src/producer/packed-messages.ts';
import { TransactionalPublisher } from '../../src/producer/publisher.ts';
import { createTopics, testKafka, uniqueName } from '../stack/helpers.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';

cleanUpAfterFile();

const logger = createLogger({ level: 'silent' });

describe('readCheckpoints (real Kafka)', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka('checkpoints-test');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('returns an empty map for an empty topic, quickly', async () => {
    const topic = uniqueName('cp-empty');
    await createTopics(admin, [topic]);
    const started = Date.now();
    expect(await readCheckpoints(kafka, topic, 'conn-a:')).toEqual(new Map());
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('returns the latest committed value per key under the prefix', async () => {
    const topic = uniqueName('cp-latest');
    const data = uniqueName('cp-data');
    await createTopics(admin, [topic, data]);
    const publisher = new TransactionalPublisher({
      kafka,
      transactionalId: uniqueName('cp'),
      checkpointTopic: topic,
      logger,
    });
    await publisher.connect();
    const page = (key: string, value: object) =>
      publisher.publish({
        messages: packMessages([{ topic: data, key: 'k', value: Buffer.from('v') }]),
        checkpoint: { key, value },
      });
    try {
      await page('conn-a:activities:g1', { cursor: '1' });
      await page('conn-a:leads', { cursor: 'L1' });
      await page('conn-b:activities:g1', { cursor: 'other' });
      await page('conn-a:activities:g1', { cursor: '2' });
      await page('conn-a:gone', { cursor: 'x' });
      // A failed publish: its checkpoint must not be read.
      await expect(
        publisher.publish({
          messages: packMessages([{ topic: data, key: 'k', value: Buffer.alloc(2 * 1024 * 1024) }]),
          checkpoint: { key: 'conn-a:activities:g1', value: { cursor: 'aborted' } },
        }),
      ).rejects.toThrow();
      await page('conn-a:activities:g1', { cursor: '3' });
    } finally {
      await publisher.disconnect();
    }
    // A tombstone deletes its key.
    const plain = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await plain.connect();
    await plain.send({ topic, messages: [{ key: 'conn-a:gone', value: null }] });
    await plain.disconnect();

    const started = Date.now();
    const checkpoints = await readCheckpoints(kafka, topic, 'conn-a:');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(checkpoints).toEqual(
      new Map<string, object>([
        ['conn-a:activities:g1', { cursor: '3' }],
        ['conn-a:leads', { cursor: 'L1' }],
      ]),
    );
    expect(await readCheckpoints(kafka, topic, 'conn-b:')).toEqual(
      new Map([['conn-b:activities:g1', { cursor: 'other' }]]),
    );
  });

  it('waits for a transaction still open at the call, and never returns what it aborted', async () => {
    const topic = uniqueName('cp-open');
    await createTopics(admin, [topic]);
    const committed = new TransactionalPublisher({
      kafka,
      transactionalId: uniqueName('cp-c'),
      checkpointTopic: topic,
      logger,
    });
    await committed.connect();
    await committed.publish({ messages: packMessages([]), checkpoint: { key: 'conn-a:s', value: { cursor: 'done' } } });
    await committed.disconnect();

    const open = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('cp-open') });
    await open.connect();
    const txn = await open.transaction();
    try {
      await txn.send({ topic, messages: [{ key: 'conn-a:s', value: JSON.stringify({ cursor: 'uncommitted' }) }] });
      let settled = false;
      const read = readCheckpoints(kafka, topic, 'conn-a:', { timeoutMs: 20_000 }).finally(() => {
        settled = true;
      });
      // Not a wait for state: time for a read that does not wait for the transaction to return.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(settled).toBe(false);
      await txn.abort();
      expect(await read).toEqual(new Map([['conn-a:s', { cursor: 'done' }]]));
      // The abort marker and the first read's barrier are behind; no message callback sees the marker.
      expect(await readCheckpoints(kafka, topic, 'conn-a:', { timeoutMs: 10_000 })).toEqual(
        new Map([['conn-a:s', { cursor: 'done' }]]),
      );
    } finally {
      if (txn.isActive()) await txn.abort();
      await open.disconnect();
    }
  });
});
