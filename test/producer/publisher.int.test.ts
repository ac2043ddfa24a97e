import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { packMessages } from '../../src/producer/packed-messages.ts';
import { type Publisher, TransactionalPublisher } from '../../src/producer/publisher.ts';
import { ThreadedPublisher } from '../../src/producer/publisher-thread.ts';
import { consumeUntil, createTopics, testKafka, uniqueName } from '../stack/helpers.ts';
import { cleanUpAfterFile } from '../support/cleanup.ts';

cleanUpAfterFile();

const logger = createLogger({ level: 'silent' });

// The same contract, run in this thread and on a worker thread of its own (the service's default).
describe.each([
  ['TransactionalPublisher', false],
  ['ThreadedPublisher', true],
])('%s (real Kafka)', (_name, threaded) => {
  let kafka: Kafka;
  let admin: Admin;
  let data: string;
  let other: string;
  let checkpoints: string;
  const publishers: Publisher[] = [];

  const publisher = (transactionalId = uniqueName('txn')) => {
    const options = { transactionalId, checkpointTopic: checkpoints, logger };
    const p = threaded
      ? new ThreadedPublisher({
          ...options,
          kafka: { clientId: 'publisher-test', brokers: process.env.KAFKA_BROKERS!.split(',') },
        })
      : new TransactionalPublisher({ ...options, kafka });
    publishers.push(p);
    return p;
  };

  beforeAll(async () => {
    kafka = testKafka('publisher-test');
    admin = kafka.admin();
    await admin.connect();
    data = uniqueName('pub-data');
    other = uniqueName('pub-other');
    checkpoints = uniqueName('pub-checkpoints');
    await createTopics(admin, [data, other], 3);
    await createTopics(admin, [checkpoints], 1);
  });

  afterAll(async () => {
    for (const p of publishers) await p.disconnect().catch(() => {});
    await admin.disconnect();
  });

  it('makes a page and its checkpoint visible together to a read_committed consumer', async () => {
    const p = publisher();
    await p.connect();
    const messages = [
      ...Array.from({ length: 40 }, (_, i) => ({
        topic: data,
        key: `i:${i}`,
        value: Buffer.from(`d${i}`),
        headers: { h: 'x' },
      })),
      ...Array.from({ length: 5 }, (_, i) => ({
        topic: other,
        key: `i:${i}`,
        value: i === 0 ? null : Buffer.from(`o${i}`),
      })),
    ];
    const result = await p.publish({
      messages: packMessages(messages),
      checkpoint: { key: 'conn:page-1', value: { cursor: 'c1', sequence: 1 } },
    });

    expect(result.counts).toEqual({ [data]: 40, [other]: 5 });
    expect(result.partitions.filter((w) => w.topic === data).length).toBeGreaterThan(1);
    expect(result.checkpoint).toMatchObject({ topic: checkpoints, partition: 0 });

    const seen = await consumeUntil(kafka, [data, other, checkpoints], (s) => s.length >= 46);
    expect(seen).toHaveLength(46);
    expect(seen.filter((m) => m.value === null).map((m) => m.key)).toEqual(['i:0']);
    const checkpoint = seen.find((m) => m.key === 'conn:page-1');
    expect(JSON.parse(checkpoint!.value!.toString())).toEqual({ cursor: 'c1', sequence: 1 });
    expect(checkpoint!.offset).toBe(result.checkpoint.baseOffset);
    expect(seen.find((m) => m.key === 'i:7' && m.value?.toString() === 'd7')?.headers.h?.toString()).toBe('x');
  });

  it('leaves nothing visible when a publish fails part-way, then keeps working', async () => {
    const p = publisher();
    await p.connect();
    const marker = uniqueName('aborted');
    const tooLarge = Buffer.alloc(2 * 1024 * 1024, 1); // above the broker's message.max.bytes
    await expect(
      p.publish({
        messages: packMessages([
          { topic: data, key: 'ok', value: Buffer.from(marker) },
          { topic: other, key: 'big', value: tooLarge },
        ]),
        checkpoint: { key: `${marker}:cp`, value: { cursor: 'never' } },
      }),
    ).rejects.toThrow();

    const sentinel = uniqueName('sentinel');
    await p.publish({
      messages: packMessages([{ topic: data, key: 'ok', value: Buffer.from(sentinel) }]),
      checkpoint: { key: `${sentinel}:cp`, value: { cursor: 'after' } },
    });

    const committed = await consumeUntil(kafka, [data, checkpoints], (s) =>
      s.some((m) => m.value?.toString() === sentinel),
    );
    expect(committed.some((m) => m.value?.toString() === marker)).toBe(false);
    expect(committed.some((m) => m.key === `${marker}:cp`)).toBe(false);

    // The failed transaction did write to the log before it was aborted.
    const uncommitted = await consumeUntil(kafka, [data], (s) => s.some((m) => m.value?.toString() === sentinel), {
      readUncommitted: true,
    });
    expect(uncommitted.some((m) => m.value?.toString() === marker)).toBe(true);
  });

  it('fences the older of two publishers with the same transactionalId', async () => {
    const id = uniqueName('fenced');
    const older = publisher(id);
    await older.connect();
    await older.publish({
      messages: packMessages([{ topic: data, key: 'a', value: Buffer.from('1') }]),
      checkpoint: { key: `${id}:cp`, value: { n: 1 } },
    });

    const newer = publisher(id);
    await newer.connect();
    const err = await older
      .publish({
        messages: packMessages([{ topic: data, key: 'a', value: Buffer.from('zombie') }]),
        checkpoint: { key: `${id}:cp`, value: { n: 99 } },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.FENCED });
    // Once fenced, always fenced: no further call reaches Kafka.
    await expect(
      older.publish({ messages: packMessages([]), checkpoint: { key: `${id}:cp`, value: { n: 100 } } }),
    ).rejects.toMatchObject({ code: ErrorCodes.FENCED });

    await newer.publish({
      messages: packMessages([{ topic: data, key: 'a', value: Buffer.from('2') }]),
      checkpoint: { key: `${id}:cp`, value: { n: 2 } },
    });
    const seen = await consumeUntil(kafka, [checkpoints], (s) => s.filter((m) => m.key === `${id}:cp`).length >= 2);
    expect(seen.filter((m) => m.key === `${id}:cp`).map((m) => JSON.parse(m.value!.toString()).n)).toEqual([1, 2]);
  });

  it('lets its producer go on disconnect and takes the transactional id over again on the next connect', async () => {
    const id = uniqueName('released');
    const p = publisher(id);
    await p.connect();
    await p.publish({
      messages: packMessages([{ topic: data, key: 'r', value: Buffer.from('1') }]),
      checkpoint: { key: `${id}:cp`, value: { n: 1 } },
    });
    await p.disconnect();
    // Meanwhile another producer took the id; connecting again fences it, as a first connect would.
    const other = publisher(id);
    await other.connect();
    await p.connect();
    await expect(
      other.publish({ messages: packMessages([]), checkpoint: { key: `${id}:cp`, value: { n: 99 } } }),
    ).rejects.toMatchObject({ code: ErrorCodes.FENCED });
    await p.publish({
      messages: packMessages([{ topic: data, key: 'r', value: Buffer.from('2') }]),
      checkpoint: { key: `${id}:cp`, value: { n: 2 } },
    });
    const seen = await consumeUntil(kafka, [checkpoints], (s) => s.filter((m) => m.key === `${id}:cp`).length >= 2);
    expect(seen.filter((m) => m.key === `${id}:cp`).map((m) => JSON.parse(m.value!.toString()).n)).toEqual([1, 2]);
  });

  it('publishes many transactions back to back', async () => {
    const p = publisher();
    await p.connect();
    const key = uniqueName('burst');
    for (let i = 0; i < 30; i++) {
      await p.publish({
        messages: packMessages([{ topic: data, key: `b:${i}`, value: Buffer.from(`${i}`) }]),
        checkpoint: { key, value: { i } },
      });
    }
    const seen = await consumeUntil(kafka, [checkpoints], (s) => s.filter((m) => m.key === key).length >= 30);
    expect(seen.filter((m) => m.key === key).map((m) => JSON.parse(m.value!.toString()).i)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
  });
});

describe('ThreadedPublisher when its thread dies (real Kafka)', () => {
  it('fails the page in flight as retriable, then publishes from a new thread; nothing is lost or doubled', async () => {
    const kafka = testKafka('publisher-thread-death');
    const admin = kafka.admin();
    await admin.connect();
    const data = uniqueName('death-data');
    const checkpoints = uniqueName('death-checkpoints');
    await createTopics(admin, [data], 3);
    await createTopics(admin, [checkpoints], 1);
    await admin.disconnect();
    const p = new ThreadedPublisher({
      kafka: { clientId: 'publisher-thread-death', brokers: process.env.KAFKA_BROKERS!.split(',') },
      transactionalId: uniqueName('death'),
      checkpointTopic: checkpoints,
      logger,
      entry: new URL('./support/dying-publisher-entry.ts', import.meta.url),
    });
    const page = (n: number) => ({
      messages: packMessages(
        [0, 1, 2].map((i) => ({ topic: data, key: `k${i}`, value: Buffer.from(`page${n}-${i}`) })),
      ),
      checkpoint: { key: 'cp', value: { n } },
    });
    try {
      await p.connect();
      await p.publish(page(1));
      await expect(p.publish(page(2))).rejects.toMatchObject({
        code: ErrorCodes.PUBLISHER_THREAD_FAILED,
        retriable: true,
        message: /exited \(code 3\)/,
      });
      await p.publish(page(3)); // a new thread: its first publish
      const seen = await consumeUntil(
        kafka,
        [data, checkpoints],
        (s) => s.filter((m) => m.key !== 'cp').length >= 6 && s.filter((m) => m.key === 'cp').length >= 2,
      );
      expect(
        seen
          .filter((m) => m.key !== 'cp')
          .map((m) => m.value!.toString())
          .sort(),
      ).toEqual(['page1-0', 'page1-1', 'page1-2', 'page3-0', 'page3-1', 'page3-2']);
      expect(seen.filter((m) => m.key === 'cp').map((m) => JSON.parse(m.value!.toString()).n)).toEqual([1, 3]);
    } finally {
      await p.disconnect();
    }
  });
});

describe('ThreadedPublisher logging (real Kafka)', () => {
  it("sends the thread's log lines through the publisher's logger, with its bindings", async () => {
    const lines: string[] = [];
    const captured = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line: string) => void lines.push(line) },
    }).child({ connection: 'thread-logs' });
    const transactionalId = uniqueName('thread-logs');
    const p = new ThreadedPublisher({
      kafka: { clientId: 'publisher-thread-logs', brokers: process.env.KAFKA_BROKERS!.split(',') },
      transactionalId,
      checkpointTopic: uniqueName('thread-logs-checkpoints'),
      logger: captured,
    });
    await p.connect();
    await p.disconnect();
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // kafkajs runs only inside the thread here: its lines can only have come across the port.
    const fromThread = entries.filter((e) => e.component === 'kafkajs');
    expect(fromThread.length).toBeGreaterThan(0);
    for (const e of fromThread) expect(e).toMatchObject({ connection: 'thread-logs' });
    // The thread logs at the publisher's level (debug here), not at a default of its own.
    expect(fromThread.some((e) => e.level === 20)).toBe(true);
  });
});
