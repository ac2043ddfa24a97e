import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TRACKED_TYPE_IDS } from '../../simulator/index.ts';
import { readTopic } from '../../src/kafka/index.ts';
import { configFileEnv, runCliCaptured } from '../support/cli.ts';
import { runUntilCaughtUp, testConfig, testKafka, topicsOf } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const CONSUMER = fileURLToPath(new URL('../../examples/consumer.ts', import.meta.url));
const startSimulator = useSimulator();

interface JoinedLine {
  key: string;
  activity: { partition: number; offset: string; value: { marketoGUID: string; leadId: number } };
  lead: { id: number } | null;
}

async function runConsumer(args: string[], prefix: string): Promise<JoinedLine[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CONSUMER, ...args], {
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL,
      TOPIC_PREFIX: prefix,
    },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JoinedLine);
}

describe('the example consumer and replay', () => {
  it('join every activity of a backfilled world to its lead, and start at the right record for --from TIMESTAMP', async () => {
    const sim = await startSimulator({
      seed: 61,
      leads: 200,
      activities: 4_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      deletedLeadRate: 0,
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const config = testConfig(sim, { connection: { ratePer20s: 1000, streams: ['activities', 'leads'] } });
    const prefix = config.kafka.topicPrefix;
    await runUntilCaughtUp(config);
    const truth = [...sim.truth.activities({ typeIds: [...TRACKED_TYPE_IDS], from: config.connections[0]!.startDate })];
    expect(truth.length).toBeGreaterThan(1_000);

    // Every activity, each joined with its own lead.
    const joined = await runConsumer(['--until-end'], prefix);
    expect(joined).toHaveLength(truth.length);
    expect(new Set(joined.map((j) => j.activity.value.marketoGUID))).toEqual(new Set(truth.map((a) => a.marketoGUID)));
    const unjoined = joined.filter((j) => j.lead === null || j.lead.id !== j.activity.value.leadId);
    expect(unjoined).toEqual([]);

    // Co-partitioned: partition 1 of both topics alone joins every activity of partition 1.
    const partition1 = await runConsumer(['--until-end', '--partitions', '1'], prefix);
    expect(partition1.length).toBe(joined.filter((j) => j.activity.partition === 1).length);
    expect(partition1.every((j) => j.activity.partition === 1 && j.lead?.id === j.activity.value.leadId)).toBe(true);

    // --from TIMESTAMP: each partition starts at its first record at or after the instant.
    const records: { partition: number; offset: number; timestamp: number }[] = [];
    await readTopic(testKafka(), topicsOf(config).activities, {
      onMessage: (m, partition) =>
        records.push({ partition, offset: Number(m.offset), timestamp: Number(m.timestamp) }),
    });
    const times = [...new Set(records.map((r) => r.timestamp))].sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(2);
    const instant = times[Math.floor(times.length / 2)]!;
    const expectedFirst = new Map<number, number>();
    for (const r of records) {
      if (r.timestamp >= instant && r.offset < (expectedFirst.get(r.partition) ?? Number.POSITIVE_INFINITY)) {
        expectedFirst.set(r.partition, r.offset);
      }
    }
    const iso = new Date(instant).toISOString();
    const fromInstant = await runConsumer(['--until-end', '--from', iso], prefix);
    const firstSeen = new Map<number, number>();
    for (const j of fromInstant) {
      const offset = Number(j.activity.offset);
      if (offset < (firstSeen.get(j.activity.partition) ?? Number.POSITIVE_INFINITY)) {
        firstSeen.set(j.activity.partition, offset);
      }
    }
    expect(firstSeen).toEqual(expectedFirst);
    expect(fromInstant).toHaveLength(
      records.filter((r) => r.offset >= (expectedFirst.get(r.partition) ?? Infinity)).length,
    );

    // replay resolves the same start through the same code, and prints decoded records.
    const partition = [...expectedFirst.keys()][0]!;
    const replay = await runCliCaptured(
      [
        'replay',
        '--topic',
        topicsOf(config).activities,
        '--from',
        iso,
        '--partition',
        String(partition),
        '--limit',
        '3',
      ],
      configFileEnv(config),
    );
    expect(replay.code).toBe(0);
    const lines = replay.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => Number(l.offset))).toEqual([0, 1, 2].map((i) => expectedFirst.get(partition)! + i));
    expect(lines[0]).toMatchObject({
      partition,
      headers: { 'content-type': 'application/avro', ce_type: 'io.marketostream.activity' },
      value: { marketoGUID: expect.any(String), leadId: expect.any(Number) },
    });
  });
});
