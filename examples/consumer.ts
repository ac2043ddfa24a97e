/**
 * A downstream consumer of marketo-stream's topics: joins each activity with its lead.
 *
 *   node examples/consumer.ts [--from beginning|end|OFFSET|ISO-TIMESTAMP] [--until-end] [--partitions 0,1]
 *                             [--brokers host:port,…] [--registry URL] [--prefix marketo]
 *
 * Reads `<prefix>.activities` from `--from` and `<prefix>.leads` from its beginning (the leads topic is
 * compacted: it is the table of the latest lead per key), read_committed, decodes both through the
 * schema registry, and prints one JSON line per activity: `{ key, activity, lead }`. The topics share
 * their key (`<instance>:<leadId>`) and partition count, so partition p of one holds exactly the keys of
 * partition p of the other: `--partitions` reads only those partitions of both, and the join is
 * complete within them (this is how the work is split between instances, without repartitioning).
 *
 * An activity whose lead has not arrived yet is held until it does (marketo-stream publishes a lead
 * after the activities that touched it). With `--until-end` the consumer stops at the end offsets the
 * topics have when it starts; activities still waiting then (their lead was deleted or merged away:
 * a tombstone) are printed with `lead: null`.
 *
 * Defaults come from the service's own variables: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX;
 * TLS, SASL and registry credentials too (KAFKA_SSL*, KAFKA_SASL_*, SCHEMA_REGISTRY_USERNAME/PASSWORD,
 * SCHEMA_REGISTRY_TLS_*, each secret also as `<VARIABLE>_FILE`), validated as the service does.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { parseTopicReaderSettings, serviceSettingsFromEnv, type TopicReaderSettings } from '../src/config/index.ts';
import {
  decodeRecord,
  endOffsets,
  kafkaClientOptions,
  type PartitionOffsets,
  parseStartPosition,
  readFromOffsets,
  resolveStartOffsets,
  toJsonLine,
} from '../src/kafka/index.ts';
import { registryClientOptions } from '../src/schemas/index.ts';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: 'beginning' },
    'until-end': { type: 'boolean', default: false },
    partitions: { type: 'string' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    registry: { type: 'string', default: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7' },
    prefix: { type: 'string', default: process.env.TOPIC_PREFIX ?? 'marketo' },
  },
});

function fail(message: string): never {
  process.stderr.write(`consumer: ${message}\n`);
  process.exit(2);
}

let from: ReturnType<typeof parseStartPosition>;
try {
  from = parseStartPosition(values.from);
} catch (err) {
  fail(`--from ${(err as Error).message}`);
}
const partitions = values.partitions?.split(',').map((p) => {
  if (!/^\d+$/.test(p.trim())) fail(`--partitions must be a comma-separated list of partition numbers, got '${p}'`);
  return Number(p);
});

const activitiesTopic = `${values.prefix}.activities`;
const leadsTopic = `${values.prefix}.leads`;
const fromEnv = serviceSettingsFromEnv();
let settings: Readonly<TopicReaderSettings>;
try {
  settings = parseTopicReaderSettings({
    kafka: { ...fromEnv.kafka, clientId: 'marketo-stream-example', brokers: values.brokers.split(',') },
    schemaRegistry: { ...fromEnv.schemaRegistry, url: values.registry },
  });
} catch (err) {
  fail((err as Error).message);
}
const kafka = new Kafka({ ...kafkaClientOptions(settings.kafka), logLevel: logLevel.WARN });
const { registry } = registryClientOptions(settings.schemaRegistry);

// Where to start: activities as asked (offsetsForTimes for a timestamp), leads from the beginning.
const admin = kafka.admin();
await admin.connect();
let start: Record<string, PartitionOffsets>;
let end: Record<string, PartitionOffsets> | undefined;
try {
  start = {
    [activitiesTopic]: await resolveStartOffsets(admin, activitiesTopic, from, partitions),
    [leadsTopic]: await resolveStartOffsets(admin, leadsTopic, { kind: 'beginning' }, partitions),
  };
  if (values['until-end']) {
    end = {
      [activitiesTopic]: await endOffsets(admin, activitiesTopic, partitions),
      [leadsTopic]: await endOffsets(admin, leadsTopic, partitions),
    };
  }
} finally {
  await admin.disconnect();
}

type Decoded = Awaited<ReturnType<typeof decodeRecord>>;
/** The latest lead per key; a tombstone removes it. */
const leads = new Map<string, unknown>();
/** Activities waiting for their lead, per key. */
const waiting = new Map<string, Decoded[]>();

async function emit(key: string, activity: Decoded, lead: unknown): Promise<void> {
  const { value, ...position } = activity;
  const line = toJsonLine({ key, activity: { ...position, value }, lead: lead ?? null });
  if (!process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

await readFromOffsets(kafka, {
  start,
  ...(end ? { end } : {}),
  signal: stop.signal,
  onRecord: async (record) => {
    const decoded = await decodeRecord(record, (v) => registry.decode(v));
    const key = decoded.key ?? '';
    if (record.topic === leadsTopic) {
      if (decoded.value === null) {
        leads.delete(key);
        return;
      }
      leads.set(key, decoded.value);
      const held = waiting.get(key);
      waiting.delete(key);
      for (const activity of held ?? []) await emit(key, activity, decoded.value);
      return;
    }
    const lead = leads.get(key);
    if (lead !== undefined) return emit(key, decoded, lead);
    waiting.set(key, [...(waiting.get(key) ?? []), decoded]);
  },
});

// --until-end (or stopped): what still waits has no lead to join.
for (const [key, held] of waiting) for (const activity of held) await emit(key, activity, null);
