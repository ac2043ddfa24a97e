import { randomUUID } from 'node:crypto';
import { type Admin, type IHeaders, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { recordTopicPrefix } from '../support/cleanup.ts';

/** A kafkajs client for the integration services (KAFKA_BROKERS, set by the global setup). */
export function testKafka(clientId = 'marketo-stream-test'): Kafka {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/**
 * A topic name no other run has used; the topic (and its value subject) is removed after the file
 * when the file calls `cleanUpAfterFile()`.
 */
export function uniqueName(prefix: string): string {
  const name = `${prefix}-${Date.now()}-${randomUUID().slice(0, 8)}`;
  recordTopicPrefix(name);
  return name;
}

/** Creates the topics explicitly (auto-creation is off on the test broker). */
export async function createTopics(admin: Admin, topics: string[], numPartitions = 1): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions })) });
}

/** A consumed message with its value and headers as strings. */
export interface SeenMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
}

/**
 * Consumes `topics` from the beginning with a fresh group (read_committed unless told otherwise)
 * until `done(seen)` is true, then returns everything seen. Fails after `timeoutMs`.
 */
export async function consumeUntil(
  kafka: Kafka,
  topics: string[],
  done: (seen: SeenMessage[]) => boolean,
  options: { readUncommitted?: boolean; timeoutMs?: number } = {},
): Promise<SeenMessage[]> {
  const groupId = uniqueName('marketo-stream-test-group');
  const consumer = kafka.consumer({ groupId, readUncommitted: options.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  const seen: SeenMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `consumeUntil(${topics.join(',')}): condition not met after ${options.timeoutMs ?? 30_000} ms; ` +
                `saw ${seen.length}: ${seen
                  .slice(-10)
                  .map((m) => `${m.key}=${m.value?.toString().slice(0, 40)}`)
                  .join(' ')}`,
            ),
          ),
        options.timeoutMs ?? 30_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            seen.push(toSeen(partition, message));
            if (done(seen)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function toSeen(partition: number, message: KafkaMessage): SeenMessage {
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value,
    headers: message.headers ?? {},
  };
}
