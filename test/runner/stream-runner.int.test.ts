import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorStore } from '../../src/cursor/index.ts';
import { defaultTopicSpecs, ensureTopics, topicNames } from '../../src/kafka/index.ts';
import { readCheckpoints, TransactionalPublisher } from '../../src/producer/index.ts';
import { StreamRunner } from '../../src/runner/stream-runner.ts';
import { SchemaCatalog } from '../../src/schemas/index.ts';
import type { FetchedPage, StreamCursor, StreamDefinition } from '../../src/streams/stream.ts';
import { cleanUpAfterFile, recordRedisId, recordTopicPrefix } from '../support/cleanup.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { consumeAll, testKafka, testLogger, unique } from '../support/pipeline.ts';

cleanUpAfterFile();
const recordedId = (id: string) => {
  recordRedisId(id);
  return id;
};

interface Raw {
  n: number;
  label: unknown;
}
interface Cursor extends StreamCursor {
  next: number;
}

const schema = {
  type: 'record',
  name: 'Numbered',
  namespace: 'io.marketostream.test',
  fields: [
    { name: 'n', type: 'long' },
    { name: 'label', type: 'string' },
  ],
};

/** Three pages of three records; the page numbers in `failOn` throw once (a malformed Marketo page). */
function numbers(topic: string, failOn: Set<number>): StreamDefinition<Raw, Cursor> {
  return {
    name: 'numbers',
    topic,
    eventType: 'io.marketostream.test',
    lookbackMs: 0,
    schema: () => schema,
    initialCursor: (now) => ({ seq: 0, phase: 'backfill', updatedAt: new Date(now).toISOString(), next: 0 }),
    beginPass: (c) => c,
    inPass: (c) => c.next < 9,
    async fetchPage(c): Promise<FetchedPage<Raw, Cursor>> {
      const page = c.next / 3;
      if (failOn.delete(page)) throw new Error(`page ${page} is malformed`);
      // Record 4 carries a label of the wrong type: it cannot be encoded.
      const records = [c.next, c.next + 1, c.next + 2].map((n) => ({
        n,
        label: n === 4 ? { not: 'a string' } : `#${n}`,
      }));
      const next = c.next + 3;
      return { records, cursor: { ...c, next, phase: next >= 9 ? 'incremental' : 'backfill' }, done: next >= 9 };
    },
    toRecord: (raw) => ({ key: `inst:${raw.n}`, value: raw, id: String(raw.n), time: raw.n }),
  };
}

const kafka = testKafka();
const redis = new Redis(process.env.REDIS_URL!);
const prefix = unique('runner');
recordTopicPrefix(prefix);
const names = topicNames(prefix);
afterAll(() => redis.disconnect());
beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, defaultTopicSpecs(names, { partitions: 2 }));
  await admin.disconnect();
});

describe('StreamRunner', () => {
  it('commits whole pages only, dead-letters an unencodable record with its reason, and checkpoints past it', async () => {
    const logger = testLogger();
    const publisher = new TransactionalPublisher({
      kafka,
      transactionalId: unique('tx'),
      checkpointTopic: names.checkpoints,
      logger,
    });
    await publisher.connect();
    const deps = {
      kafka,
      publisher,
      catalog: new SchemaCatalog({
        registry: new SchemaRegistry({ host: process.env.SCHEMA_REGISTRY_URL! }),
        registryUrl: process.env.SCHEMA_REGISTRY_URL!,
      }),
      cursors: new CursorStore({ redis, logger }),
      dlqTopic: names.dlq,
      connection: recordedId(unique('conn')),
      instance: 'inst',
      clock: new FakeClock(),
      logger,
    };
    try {
      const runner = new StreamRunner(numbers(names.activities, new Set([1])), deps);
      await runner.init(undefined);
      // Page 1 fails: page 0 is committed, nothing of page 1 is.
      await expect(runner.runPass(new AbortController().signal)).rejects.toThrow(/page 1 is malformed/);
      expect((await consumeAll(names.activities)).map((r) => r.id).sort()).toEqual(['0', '1', '2']);

      // A fresh runner resumes from the committed checkpoint and finishes the pass.
      const checkpoints = await readCheckpoints(kafka, names.checkpoints, `${deps.connection}:`);
      const resumed = new StreamRunner(numbers(names.activities, new Set()), deps);
      await resumed.init(checkpoints.get(StreamRunner.checkpointKey(deps.connection, 'numbers')) as Cursor);
      const stats = await resumed.runPass(new AbortController().signal);
      expect(stats).toMatchObject({ pages: 2, fetched: 6, published: 5, deadLettered: 1 });

      const published = (await consumeAll(names.activities)).map((r) => r.id).sort();
      expect(published).toEqual(['0', '1', '2', '3', '5', '6', '7', '8']);
      const dlq = await consumeAll(names.dlq);
      expect(dlq).toHaveLength(1);
      const dead = JSON.parse(dlq[0]!.value!.toString()) as { reason: string; raw: Raw; stream: string };
      expect(dead.raw).toEqual({ n: 4, label: { not: 'a string' } });
      expect(dead.stream).toBe('numbers');
      expect(dead.reason).toMatch(/label/);
      expect(dlq[0]!.headers['content-type']).toBe('application/json');

      const mirror = await new CursorStore({ redis, logger }).get<Cursor>(deps.connection, 'numbers');
      expect(mirror).toMatchObject({ seq: 3, next: 9, phase: 'incremental' });
    } finally {
      await publisher.disconnect();
    }
  });
});
