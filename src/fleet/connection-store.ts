import { type Kafka, Partitioners } from 'kafkajs';
import { readTopic } from '../kafka/index.ts';
import { type ConnectionRecord, decodeConnectionRecord, encodeConnectionRecord } from './connection-record.ts';

/** The connections the topic holds now (latest record per id; removed ones left out), by id. */
export async function readConnections(kafka: Kafka, topic: string): Promise<Map<string, ConnectionRecord>> {
  const records = new Map<string, ConnectionRecord>();
  await readTopic(kafka, topic, {
    onMessage: (message) => {
      const id = message.key?.toString();
      if (!id) return;
      const record = decodeConnectionRecord(message.value);
      if (record) records.set(id, { ...record, id });
      else records.delete(id);
    },
  });
  return records;
}

/**
 * Writes records (keyed by id) or removals (`null`, a tombstone) to the connections topic, all
 * acknowledged by every in-sync replica before it resolves.
 */
export async function writeConnections(
  kafka: Kafka,
  topic: string,
  changes: readonly { id: string; record: ConnectionRecord | null }[],
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: changes.map(({ id, record }) => ({ key: id, value: record ? encodeConnectionRecord(record) : null })),
    });
  } finally {
    await producer.disconnect();
  }
}
