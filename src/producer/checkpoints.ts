import type { Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import { CheckpointIndex, kafkaCheckpointRead } from './checkpoint-index.ts';

export interface ReadCheckpointsOptions {
  /** Give up (reject) when the end is not reached within this time. Default 30 s. */
  timeoutMs?: number;
  /** Where to report a checkpoint whose value is not JSON (it is skipped). */
  logger?: Logger;
}

/**
 * Reads the compacted checkpoint topic from its beginning and returns the latest committed value
 * of every key starting with `keyPrefix` (read barriers excepted); a tombstone (null value)
 * removes its key. Every commit made before the call is in it: transactions still open when it
 * starts are waited for (see {@link kafkaCheckpointRead}). A one-off read (tools, tests); a process
 * running connections reads through one {@link CheckpointIndex}.
 */
export async function readCheckpoints(
  kafka: Kafka,
  topic: string,
  keyPrefix: string,
  options: ReadCheckpointsOptions = {},
): Promise<Map<string, object>> {
  const index = new CheckpointIndex({
    read: kafkaCheckpointRead(kafka, topic, options.timeoutMs),
    logger: options.logger,
  });
  return index.checkpointsUnder(keyPrefix);
}
