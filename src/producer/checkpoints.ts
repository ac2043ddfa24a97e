import type { Kafka } from 'kafkajs';
import { readTopic } from '../kafka/topic-reader.ts';
import type { Logger } from '../log.ts';

export interface ReadCheckpointsOptions {
  /** Give up (reject) when the end is not reached within this time. Default 30 s. */
  timeoutMs?: number;
  /** Where to report a checkpoint whose value is not JSON (it is skipped). */
  logger?: Logger;
}

/**
 * Reads the compacted checkpoint topic from its beginning to its last stable offset (what a
 * read_committed consumer can see now) and returns the latest value of every key starting with
 * `keyPrefix`; a tombstone (null value) removes its key.
 * Records of transactions still open when it starts are not waited for.
 */
export async function readCheckpoints(
  kafka: Kafka,
  topic: string,
  keyPrefix: string,
  options: ReadCheckpointsOptions = {},
): Promise<Map<string, object>> {
  const result = new Map<string, object>();
  await readTopic(kafka, topic, {
    timeoutMs: options.timeoutMs,
    onMessage: (message) => {
      const key = message.key?.toString();
      if (key === undefined || !key.startsWith(keyPrefix)) return;
      if (message.value === null) {
        result.delete(key);
        return;
      }
      try {
        result.set(key, JSON.parse(message.value.toString()) as object);
      } catch (err) {
        options.logger?.warn({ err, topic, key, offset: message.offset }, 'skipping a checkpoint that is not JSON');
      }
    },
  });
  return result;
}
