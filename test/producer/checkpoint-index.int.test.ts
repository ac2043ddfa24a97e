import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import {
  CHECKPOINT_READ_BARRIER_KEY,
  CheckpointIndex,
  type CheckpointReadReport,
  kafkaCheckpointRead,
} from '../../src/producer/checkpoint-index.ts';
import { readCheckpoints } from '../../src/producer/checkpoints.ts';
import { packMessages } from '../../src/producer/packed-messages.ts';
import { TransactionalPublisher, transactionalProducerConfig } from '../../src/producer/publisher.ts';
import { Slots, STREAM_SET_UP_CONCURRENCY } from '../../src/runner/set-up-slots.ts';
import { createTopics, testKafka, uniqueName } from '../stack/helpers.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';
import { readWholeTopic } from '../support/committed-reader.ts';

cleanUpAfterFile();

const logger = createLogger({ level: 'silent' });

describe('CheckpointIndex (real Kafka)', () => {
  let kafka: Kafka;
  let admin: Admin;
  const publishers: TransactionalPublisher[] = [];

  const publisherOf = (transactionalId: string, topic: string) => {
    const p = new TransactionalPublisher({ kafka, transactionalId, checkpointTopic: topic, logger });
    publishers.push(p);
    return p;
  };
  /** Commits one checkpoint (and no data) in a transaction of `publisher`. */
  const commit = (publisher: TransactionalPublisher, key: string, value: object) =>
    publisher.publish({ messages: packMessages([]), checkpoint: { key, value } });

  beforeAll(async () => {
    kafka = testKafka('checkpoint-index-test');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const p of publishers) await p.disconnect().catch(() => undefined);
    await admin.disconnect();
  });

  it('starting many connections reads the topic from its start once and gives each its own checkpoints', async () => {
    const topic = uniqueName('cpi-many');
    await createTopics(admin, [topic]);
    const connections = Array.from({ length: 40 }, (_, i) => `conn${i}`);
    const writer = publisherOf(uniqueName('cpi-writer'), topic);
    await writer.connect();
    let written = 0;
    for (const id of connections) {
      for (const stream of ['activities:g1', 'leads', 'programs']) {
        await commit(writer, `${id}:${stream}`, { seq: 1, stream });
        written++;
      }
      await commit(writer, `${id}:leads`, { seq: 2, stream: 'leads' });
      written++;
    }
    const reads: CheckpointReadReport[] = [];
    const index = new CheckpointIndex({ read: kafkaCheckpointRead(kafka, topic), onRead: (r) => reads.push(r) });
    // As a worker starts them: a few connections at a time, each asking for its own.
    const slots = new Slots(STREAM_SET_UP_CONCURRENCY);
    const answers = await Promise.all(connections.map((id) => slots.run(() => index.checkpointsFor(id))));

    const all = await readCheckpoints(kafka, topic, '');
    connections.forEach((id, i) => {
      const expected = new Map([...all].filter(([key]) => key.startsWith(`${id}:`)));
      expect(expected.size).toBe(3);
      expect(answers[i]).toEqual(expected);
    });
    expect(answers[7]!.get('conn7:leads')).toEqual({ seq: 2, stream: 'leads' });
    expect(reads.filter((r) => r.kind === 'full')).toHaveLength(1);
    expect(reads.reduce((sum, r) => sum + r.records, 0)).toBe(written);
    expect(reads.reduce((sum, r) => sum + r.requests, 0)).toBe(connections.length);
    expect(reads.length).toBeLessThanOrEqual(connections.length / STREAM_SET_UP_CONCURRENCY + 1);
  });

  it("a connection that restarts after a commit sees it; a transaction its new producer's init aborted, never", async () => {
    const topic = uniqueName('cpi-restart');
    await createTopics(admin, [topic]);
    const transactionalId = uniqueName('cpi-conn');
    const reads: CheckpointReadReport[] = [];
    const index = new CheckpointIndex({ read: kafkaCheckpointRead(kafka, topic), onRead: (r) => reads.push(r) });
    const first = publisherOf(transactionalId, topic);
    await first.connect();
    await commit(first, 'a:leads', { seq: 1 });
    expect(await index.checkpointsFor('a')).toEqual(new Map([['a:leads', { seq: 1 }]]));

    // Committed after the index last read: a restart must see it, not what the index held.
    await commit(first, 'a:leads', { seq: 2 });
    await first.disconnect();
    const second = publisherOf(transactionalId, topic);
    await second.connect();
    expect(await index.checkpointsFor('a')).toEqual(new Map([['a:leads', { seq: 2 }]]));

    // A worker dies mid-transaction; the next one's InitProducerId aborts what it had sent.
    const dying = kafka.producer(transactionalProducerConfig(transactionalId));
    await dying.connect();
    const txn = await dying.transaction();
    await txn.send({ topic, messages: [{ key: 'a:leads', value: JSON.stringify({ seq: 3 }) }] });
    const third = publisherOf(transactionalId, topic);
    await third.connect();
    const started = Date.now();
    expect(await index.checkpointsFor('a')).toEqual(new Map([['a:leads', { seq: 2 }]]));
    expect(Date.now() - started).toBeLessThan(10_000);
    await dying.disconnect().catch(() => undefined);

    await commit(third, 'a:leads', { seq: 4 });
    expect(await index.checkpointsFor('a')).toEqual(new Map([['a:leads', { seq: 4 }]]));
    expect(reads.map((r) => r.kind)).toEqual(['full', 'catch-up', 'catch-up', 'catch-up']);
  });

  /** A transaction of a producer of its own, left open after one record on `topic`. */
  const openTransaction = async (topic: string, key: string) => {
    const producer = kafka.producer(transactionalProducerConfig(uniqueName('cpi-other')));
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key, value: JSON.stringify({ open: true }) }] });
    return {
      txn,
      close: async (end: 'commit' | 'abort') => {
        await (end === 'commit' ? txn.commit() : txn.abort());
        await producer.disconnect();
      },
    };
  };

  /** Whether `promise` is still pending after `ms`: a read that returned early would have settled. */
  const stillPendingAfter = async (promise: Promise<unknown>, ms: number) => {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, ms));
    return !settled;
  };

  it.each(['abort', 'commit'] as const)(
    "sees a checkpoint committed behind another producer's open transaction, once that one ends (%s)",
    async (end) => {
      const topic = uniqueName('cpi-behind');
      await createTopics(admin, [topic]);
      const reads: CheckpointReadReport[] = [];
      const index = new CheckpointIndex({ read: kafkaCheckpointRead(kafka, topic), onRead: (r) => reads.push(r) });
      const x = publisherOf(uniqueName('cpi-x'), topic);
      await x.connect();
      await commit(x, 'x:leads', { seq: 1 });
      expect(await index.checkpointsFor('x')).toEqual(new Map([['x:leads', { seq: 1 }]]));

      // Y's open transaction holds the last stable offset below X's next commit.
      const y = await openTransaction(topic, 'y:leads');
      await commit(x, 'x:leads', { seq: 2 });
      const caughtUp = index.checkpointsFor('x');
      const fromStart = readCheckpoints(kafka, topic, '');
      // Both wait for Y: answering now could only give X's previous checkpoint.
      expect(await stillPendingAfter(Promise.race([caughtUp, fromStart]), 1_500)).toBe(true);
      await y.close(end);

      expect(await caughtUp).toEqual(new Map([['x:leads', { seq: 2 }]]));
      const all = await fromStart;
      expect(all.get('x:leads')).toEqual({ seq: 2 });
      expect(all.has('y:leads')).toBe(end === 'commit');
      expect(all.has(CHECKPOINT_READ_BARRIER_KEY)).toBe(false);
      expect(reads.map((r) => r.kind)).toEqual(['full', 'catch-up']);
      // X's commit; Y's record too if it committed; never a barrier.
      expect(reads[1]!.records).toBe(end === 'commit' ? 2 : 1);
    },
  );

  it('a read that the open transaction holds up longer than its timeout rejects, retriable', async () => {
    const topic = uniqueName('cpi-held');
    await createTopics(admin, [topic]);
    const x = publisherOf(uniqueName('cpi-x'), topic);
    await x.connect();
    const y = await openTransaction(topic, 'y:leads');
    await commit(x, 'x:leads', { seq: 1 });
    try {
      const read = kafkaCheckpointRead(kafka, topic, 2_000)(undefined, () => undefined);
      await expect(read).rejects.toBeInstanceOf(MarketoStreamError);
      await expect(read).rejects.toMatchObject({ code: ErrorCodes.KAFKA_READ_TIMEOUT, retriable: true });
    } finally {
      await y.close('abort');
    }
    expect(await readCheckpoints(kafka, topic, 'x:')).toEqual(new Map([['x:leads', { seq: 1 }]]));
  });

  it('a read with nothing new resumes after its barrier; barriers are on the topic under their key only', async () => {
    const topic = uniqueName('cpi-quiet');
    await createTopics(admin, [topic]);
    const x = publisherOf(uniqueName('cpi-x'), topic);
    await x.connect();
    await commit(x, 'x:leads', { seq: 1 });
    const read = kafkaCheckpointRead(kafka, topic);
    const seen: (string | undefined)[] = [];
    const first = await read(undefined, (key) => seen.push(key));
    const second = await read(first, (key) => seen.push(key));
    expect(seen).toEqual(['x:leads']);
    // Each read's barrier is the record after the position the read before it reached.
    expect(second['0']).toBe(first['0']! + 1);

    const records = await readWholeTopic(topic);
    const barriers = records.filter((r) => r.key === CHECKPOINT_READ_BARRIER_KEY);
    expect(barriers.map((r) => [r.value, Number(r.offset) + 1])).toEqual([
      [null, first['0']],
      [null, second['0']],
    ]);
  });
});
