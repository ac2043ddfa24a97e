import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { readTopic } from '../../src/kafka/index.ts';
import { num } from './progress.ts';

/** What one topic holds: its committed records and the first one, decoded when asked. */
export interface TopicSummary {
  topic: string;
  records: number;
  /** `key · value` of the first record, the value decoded as the topic holds it. */
  example?: string;
}

/**
 * Reads `topic` as read_committed to its current end and keeps the first record as an example,
 * its value decoded from Avro (with the registry) or as JSON text (checkpoints, dead letters).
 */
export async function summarizeTopic(
  kafka: Kafka,
  registry: SchemaRegistry,
  topic: string,
  options: { values: 'avro' | 'json' },
): Promise<TopicSummary> {
  let records = 0;
  let first: { key: string; value: Buffer | null } | undefined;
  await readTopic(kafka, topic, {
    onMessage: (m) => {
      records++;
      if (!first) first = { key: m.key?.toString() ?? '', value: m.value };
    },
  });
  if (!first) return { topic, records };
  const value =
    first.value === null
      ? 'null (a tombstone)'
      : options.values === 'avro'
        ? await registry.decode(first.value)
        : jsonOrText(first.value.toString());
  return { topic, records, example: `key ${first.key} · ${compactJson(value)}` };
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON without the noise: nulls and empty values dropped, bigints as numbers' text. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return undefined;
    return v;
  });
}

/** The table of what landed, one line per topic, cut to `width` columns. */
export function formatLanded(summaries: readonly TopicSummary[], width: number): string[] {
  const topicWidth = Math.max(5, ...summaries.map((s) => s.topic.length));
  const header = `  ${'topic'.padEnd(topicWidth)}  ${'records'.padStart(8)}  example (first record)`;
  const rows = summaries.map(
    (s) => `  ${s.topic.padEnd(topicWidth)}  ${num(s.records).padStart(8)}  ${s.example ?? '—'}`,
  );
  return [header, ...rows].map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
}
