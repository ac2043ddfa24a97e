import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoints } from '../../src/producer/index.ts';
import { STREAM_HEADER } from '../../src/schemas/index.ts';
import type { StatusSnapshot } from '../../src/status/index.ts';
import { configFileEnv, runCliCaptured } from '../support/cli.ts';
import { readWholeTopic } from '../support/committed-reader.ts';
import { runUntilCaughtUp, testConfig, testKafka, topicsOf } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.disconnect());

describe('marketo-stream status', () => {
  it('--json agrees with the quota day in Redis and with the checkpoints in Kafka after a backfill', async () => {
    const sim = await startSimulator({
      seed: 21,
      leads: 150,
      activities: 3_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const config = testConfig(sim, { connection: { ratePer20s: 1000, quotaReserve: 7 } });
    const connection = config.connections[0]!;
    await runUntilCaughtUp(config);

    const { code, stdout, stderr } = await runCliCaptured(['status', '--json'], configFileEnv(config));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as StatusSnapshot;

    expect(status.instances).toHaveLength(1);
    const instance = status.instances[0]!;
    const day = await redis.hgetall(`mkto:{${connection.instance}}:quota:${instance.date}`);
    expect(Number(day.used)).toBeGreaterThan(0);
    expect(instance).toMatchObject({
      instance: connection.instance,
      used: Number(day.used),
      limit: connection.dailyQuota,
      reserve: 7,
      remaining: connection.dailyQuota - 7 - Number(day.used),
      paused: false,
      errors: { '606': 0, '607': 0, '615': 0 },
    });

    expect(status.connections).toHaveLength(1);
    const view = status.connections[0]!;
    // The supervisor wrote the connection's end (it caught up), and the worker gave its lease back.
    expect(view).toMatchObject({
      connection: connection.id,
      instance: connection.instance,
      state: 'stopped',
      reason: 'caught up',
    });
    expect(view.worker).toBeUndefined();

    const checkpoints = await readCheckpoints(testKafka(), topicsOf(config).checkpoints, `${connection.id}:`);
    const fromKafka = Object.fromEntries(
      [...checkpoints].map(([key, c]) => [
        key.slice(connection.id.length + 1),
        c as { seq: number; phase: string; published: number },
      ]),
    );
    expect(Object.keys(fromKafka).length).toBeGreaterThanOrEqual(6);
    expect(Object.fromEntries(view.streams.map((s) => [s.stream, { seq: s.seq, phase: s.phase }]))).toEqual(
      Object.fromEntries(Object.entries(fromKafka).map(([s, c]) => [s, { seq: c.seq, phase: c.phase }])),
    );

    // Records per stream: the checkpoint's count, and what a read_committed consumer finds (by the
    // stream header the records carry).
    const topics = topicsOf(config);
    const byStream = new Map<string, number>();
    for (const topic of [topics.activities, topics.leads, topics.programs, topics.campaigns]) {
      for (const r of await readWholeTopic(topic)) {
        const stream = r.headers[STREAM_HEADER]!;
        byStream.set(stream, (byStream.get(stream) ?? 0) + 1);
      }
    }
    expect(byStream.size).toBeGreaterThanOrEqual(5);
    for (const s of view.streams) {
      expect(s.published, s.stream).toBe(fromKafka[s.stream]!.published);
      expect(s.published, s.stream).toBe(byStream.get(s.stream) ?? 0);
    }
    for (const s of view.streams) {
      // Caught up: incremental, and the lag is the time since the stream's last commit.
      expect(s.phase).toBe('incremental');
      expect(s.lagSeconds).toBeLessThan(120);
    }
    const activities = view.streams.filter((s) => s.stream.startsWith('activities.'));
    expect(activities.length).toBeGreaterThan(0);
    for (const s of activities)
      expect(Date.parse(s.newestDate!)).toBeLessThanOrEqual(Date.parse('2026-03-01T00:00:00Z'));
  });
});
