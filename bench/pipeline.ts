/**
 * End-to-end pipeline bench: the service (a child process, as in production) backfills a seeded
 * simulator world (limits off, quirks 0, a separate process) into Kafka, committed; right before and
 * right after it, the same kind of messages are produced straight to Kafka by a bare kafkajs producer
 * with the same settings (idempotent, transactional, one transaction per 300-record page plus a
 * checkpoint record), which is the limit the pipeline can reach. Both rates come from the same run,
 * so their ratio holds on a noisy machine. The backfill's CPU is accounted per page from /proc
 * (service, simulator, the rest), with the rate the machine's cores allow at that CPU.
 */
import { availableParallelism } from 'node:os';
import type { IHeaders, Kafka } from 'kafkajs';
import { createKafka, defaultTopicSpecs, ensureTopics, readTopic, topicNames } from '../src/kafka/index.ts';
import { transactionalProducerConfig } from '../src/producer/index.ts';
import type { ServiceEndpoints } from '../test/support/services.ts';
import {
  cpuMsOf,
  deleteTopicsWithPrefix,
  machineCpuMs,
  runServiceProcess,
  type SimulatorProcess,
  spawnSimulator,
} from './support.ts';

/** Ten tracked types: one activity group, one call per page. */
const SINGLE_GROUP = [6, 10, 3, 12, 2, 11, 104, 39, 45, 40];
const PAGE = 300;
/** Messages the bare producer re-produces in each of its two runs. */
const BARE_MESSAGES = 240_000;

export interface PipelineBenchResult {
  activities: number;
  seconds: number;
  activitiesPerSec: number;
  bareProducerPerSec: number;
  ratio: number;
  callsPer10k: number;
  marketoCalls: number;
  peakRssMb: number;
  /** Peak RSS of the same service on a world a quarter the size: equal figures mean memory stays flat. */
  peakRssQuarterMb: number;
  quarterActivities: number;
  /**
   * Where the CPU of the full backfill went, in ms per 300-activity page: the service, the
   * simulator, everything else (the broker, Redis, the registry, …) and the machine as a whole.
   */
  cpuMsPerPage: { service: number; simulator: number; other: number; machine: number };
  /** Share of all cores busy during the full backfill (%). */
  machineBusyPct: number;
  /** The rate the machine's cores allow at that CPU per page, however well the work overlaps. */
  cpuBoundActivitiesPerSec: number;
}

async function runService(
  services: ServiceEndpoints,
  sim: SimulatorProcess,
  prefix: string,
  startDate: string,
): Promise<{ seconds: number; peakRssMb: number; cpuMs: number }> {
  const env = {
    PATH: process.env.PATH,
    KAFKA_BROKERS: services.kafkaBrokers,
    SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
    REDIS_URL: services.redisUrl,
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: '6',
    LOG_LEVEL: 'warn',
    MARKETO_CONNECTION_ID: prefix,
    MARKETO_INSTANCE: prefix,
    MARKETO_BASE_URL: sim.url,
    MARKETO_CLIENT_ID: sim.clientId,
    MARKETO_CLIENT_SECRET: sim.clientSecret,
    MARKETO_START_DATE: startDate,
    MARKETO_ACTIVITY_TYPES: SINGLE_GROUP.join(','),
    MARKETO_STREAMS: 'activities', // leads have a bench of their own (bench/leads.ts)
    BACKFILL_METHOD: 'rest', // this bench measures REST paging; bench/backfill.ts measures Bulk Extract
    MARKETO_RATE_PER_20S: '100000',
    MARKETO_DAILY_QUOTA: '1000000',
  };
  return runServiceProcess(env);
}

async function marketoCalls(sim: SimulatorProcess): Promise<number> {
  const res = await fetch(`${sim.url}/_admin/counts`);
  return ((await res.json()) as { total: { counted: number } }).total.counted;
}

async function resetCounts(sim: SimulatorProcess): Promise<void> {
  await fetch(`${sim.url}/_admin/counts/reset`, { method: 'POST' });
}

/** Re-produces up to `limit` committed messages of `topic` with the service's producer settings. */
async function bareProducer(
  kafka: Kafka,
  topic: string,
  limit: number,
  prefix: string,
): Promise<{ messages: number; seconds: number }> {
  // Keys, values and header values as the consumer returns them (Buffers), as a bare producer would.
  const batch: { key: Buffer | null; value: Buffer | null; headers: IHeaders }[] = [];
  await readTopic(kafka, topic, {
    onMessage: (m) => {
      if (batch.length < limit) batch.push({ key: m.key, value: m.value, headers: m.headers ?? {} });
    },
    timeoutMs: 300_000,
  });
  const names = topicNames(prefix);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, defaultTopicSpecs(names, { partitions: 6 }));
  await admin.disconnect();
  const producer = kafka.producer(transactionalProducerConfig(prefix));
  await producer.connect();
  const t0 = performance.now();
  for (let i = 0; i < batch.length; i += PAGE) {
    const txn = await producer.transaction();
    await txn.sendBatch({
      topicMessages: [
        { topic: names.activities, messages: batch.slice(i, i + PAGE) },
        {
          topic: names.checkpoints,
          messages: [{ key: 'bare:activities', value: JSON.stringify({ seq: i / PAGE, offset: i }) }],
        },
      ],
    });
    await txn.commit();
  }
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { messages: batch.length, seconds };
}

async function countCommitted(kafka: Kafka, topic: string): Promise<number> {
  let n = 0;
  await readTopic(kafka, topic, { onMessage: () => n++, timeoutMs: 300_000 });
  return n;
}

/** Runs the pipeline bench for about `activities` single-group activities (default 1,000,000). */
export async function benchPipeline(
  services: ServiceEndpoints,
  opts: { activities?: number } = {},
): Promise<PipelineBenchResult> {
  const target = opts.activities ?? 1_000_000;
  const kafka = createKafka({ clientId: 'marketo-stream-bench', brokers: services.kafkaBrokers.split(',') });
  const sim = await spawnSimulator({ seed: 42, leads: 50_000, activities: Math.ceil(target * 2.1) });
  const run = `bench-${Date.now().toString(36)}`;
  try {
    // A quarter of the world (its last quarter), then the whole of it.
    const quarter = await runService(services, sim, `${run}-q`, '2025-10-01T00:00:00Z');
    const quarterActivities = await countCommitted(kafka, topicNames(`${run}-q`).activities);
    // The bare producer runs right before and right after the full backfill, and their mean is
    // the reference: a machine whose speed drifts over minutes then biases neither side.
    const bareBefore = await bareProducer(kafka, topicNames(`${run}-q`).activities, BARE_MESSAGES, `${run}-bare1`);
    await resetCounts(sim);
    const machineBefore = machineCpuMs();
    const simulatorBefore = cpuMsOf(sim.child.pid!);
    const full = await runService(services, sim, run, '2025-01-01T00:00:00Z');
    const machineAfter = machineCpuMs();
    const simulatorMs = cpuMsOf(sim.child.pid!) - simulatorBefore;
    const calls = await marketoCalls(sim);
    const activities = await countCommitted(kafka, topicNames(run).activities);
    const pages = activities / PAGE;
    const machineBusyMs = machineAfter.busy - machineBefore.busy;
    const machineIdleMs = machineAfter.idle - machineBefore.idle;
    const perPage = (ms: number) => Math.round((ms / pages) * 10) / 10;
    const bareAfter = await bareProducer(kafka, topicNames(run).activities, BARE_MESSAGES, `${run}-bare2`);
    const activitiesPerSec = Math.round(activities / full.seconds);
    const bareProducerPerSec = Math.round(
      (bareBefore.messages + bareAfter.messages) / (bareBefore.seconds + bareAfter.seconds),
    );
    return {
      activities,
      seconds: Math.round(full.seconds * 10) / 10,
      activitiesPerSec,
      bareProducerPerSec,
      ratio: Math.round((activitiesPerSec / bareProducerPerSec) * 100) / 100,
      callsPer10k: Math.round((calls / activities) * 10_000 * 100) / 100,
      marketoCalls: calls,
      peakRssMb: full.peakRssMb,
      peakRssQuarterMb: quarter.peakRssMb,
      quarterActivities,
      cpuMsPerPage: {
        service: perPage(full.cpuMs),
        simulator: perPage(simulatorMs),
        other: perPage(machineBusyMs - full.cpuMs - simulatorMs),
        machine: perPage(machineBusyMs),
      },
      machineBusyPct: Math.round((machineBusyMs / (machineBusyMs + machineIdleMs)) * 100),
      cpuBoundActivitiesPerSec: Math.round((availableParallelism() * PAGE * 1000) / (machineBusyMs / pages)),
    };
  } finally {
    sim.child.kill('SIGTERM');
    await deleteTopicsWithPrefix(kafka, run);
  }
}
