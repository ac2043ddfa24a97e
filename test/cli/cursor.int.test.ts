import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { fetchEndOffsets, readTopic } from '../../src/kafka/index.ts';
import { readCheckpoints } from '../../src/producer/index.ts';
import { CE_ID } from '../../src/schemas/index.ts';
import { configFileEnv, runCliCaptured } from '../support/cli.ts';
import { consumeAll, duplicatesOf, runUntilCaughtUp, testConfig, testKafka, topicsOf } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('marketo-stream cursor', () => {
  it('set and reset write a checkpoint, refuse while a worker holds the connection, and a reset range is re-published once', async () => {
    const sim = await startSimulator({
      seed: 33,
      leads: 120,
      activities: 2_500,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    // Ten types: one activity group, one stream.
    const types = TRACKED_TYPE_IDS.slice(0, 10);
    const config = testConfig(sim, { connection: { ratePer20s: 1000, streams: ['activities'], activityTypes: types } });
    const { id: connection } = config.connections[0]!;
    const topics = topicsOf(config);
    const env = configFileEnv(config);
    await runUntilCaughtUp(config);
    const kafka = testKafka();
    const checkpointsNow = () => readCheckpoints(kafka, topics.checkpoints, `${connection}:`);
    const before = await checkpointsNow();
    expect(before.size).toBe(1);
    const [key, committed] = [...before][0] as [string, { seq: number; window: string }];
    const stream = key.slice(connection.length + 1);
    const mirrorKey = `mkto:{${connection}}:cursor:${stream}`;

    // get: Kafka's checkpoint and the Redis mirror.
    const got = await runCliCaptured(['cursor', 'get', connection, stream], env);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ checkpoint: committed, mirror: { seq: committed.seq } });

    // A worker holds the connection: set and reset refuse and change nothing.
    await redis.set(`mkto:{${connection}}:lease`, 'worker-elsewhere', 'PX', 30_000);
    const refused = await runCliCaptured(['cursor', 'reset', connection, stream], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`connection '${connection}' is running (worker worker-elsewhere)`);
    expect((await checkpointsNow()).get(key)).toEqual(committed);
    await redis.del(`mkto:{${connection}}:lease`);

    // set: the next checkpoint, patched, in Kafka and in Redis.
    const set = await runCliCaptured(['cursor', 'set', connection, stream, '--value', '{"window":"2026-01"}'], env);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const afterSet = (await checkpointsNow()).get(key) as { seq: number; window: string };
    expect(afterSet).toMatchObject({ seq: committed.seq + 1, window: '2026-01' });
    expect(await redis.hget(mirrorKey, 'seq')).toBe(String(committed.seq + 1));
    expect(await redis.hget(mirrorKey, 'window')).toBe('2026-01');

    // reset: the checkpoint is deleted (tombstone) and so is the mirror; the next run starts over.
    const published = await fetchEndOffsets(kafka, topics.activities);
    const reset = await runCliCaptured(['cursor', 'reset', connection, stream], env);
    expect(reset.code).toBe(0);
    expect((await checkpointsNow()).has(key)).toBe(false);
    expect(await redis.exists(mirrorKey)).toBe(0);

    await runUntilCaughtUp(config);
    const rerun: string[] = [];
    await readTopic(kafka, topics.activities, {
      from: published,
      onMessage: (m) => rerun.push(String(m.headers?.[CE_ID])),
    });
    const truth = [...sim.truth.activities({ typeIds: types, from: config.connections[0]!.startDate })];
    expect(truth.length).toBeGreaterThan(100);
    expect(duplicatesOf(rerun)).toEqual([]);
    expect(new Set(rerun)).toEqual(new Set(truth.map((a) => a.marketoGUID)));
    expect(rerun).toHaveLength(truth.length);
    // The whole topic holds every activity twice: once before the reset, once after.
    const all = (await consumeAll(topics.activities)).map((r) => r.id);
    expect(all).toHaveLength(2 * truth.length);
    expect(new Set(all).size).toBe(truth.length);
  });
});
