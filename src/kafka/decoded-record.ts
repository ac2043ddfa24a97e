import type { PositionedRecord } from './positioned-reader.ts';

/** A record as replay tools print it: JSON-friendly, headers as text, the value decoded. */
export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** The record's Kafka timestamp (ISO). */
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  /** The decoded value: Avro through the registry, JSON as parsed, null for a tombstone. */
  value: unknown;
}

/** Turns Confluent-framed Avro bytes into a value (e.g. `SchemaRegistry.decode`). */
export type AvroDecoder = (value: Buffer) => Promise<unknown>;

/** Magic byte and 4-byte schema id of the Confluent wire format. */
const CONFLUENT_HEADER_BYTES = 5;

/**
 * Decodes one record: a value in the Confluent wire format (magic byte 0) through `decodeAvro`;
 * otherwise JSON (dead letters, checkpoints), or the text itself when it is not JSON.
 */
export async function decodeRecord(record: PositionedRecord, decodeAvro: AvroDecoder): Promise<DecodedRecord> {
  const { message } = record;
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return {
    topic: record.topic,
    partition: record.partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key === null ? null : message.key.toString(),
    headers,
    value: await decodeValue(message.value, decodeAvro),
  };
}

async function decodeValue(value: Buffer | null, decodeAvro: AvroDecoder): Promise<unknown> {
  if (value === null) return null;
  if (value.length > CONFLUENT_HEADER_BYTES && value[0] === 0) return decodeAvro(value);
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON.stringify for decoded values: Avro longs beyond 2^53 may come as bigint; Buffers as base64. */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (
      v &&
      typeof v === 'object' &&
      (v as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((v as { data?: unknown }).data)
    ) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}
