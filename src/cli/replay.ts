import {
  decodeRecord,
  endOffsets,
  parseStartPosition,
  readFromOffsets,
  resolveStartOffsets,
  type StartPosition,
  toJsonLine,
} from '../kafka/index.ts';
import type { CliContext, CliIo } from './context.ts';
import { ExitCode, nonNegativeInteger, parseCommand, UsageError } from './usage.ts';

export const REPLAY_USAGE = `marketo-stream replay --topic TOPIC --from beginning|end|OFFSET|ISO-TIMESTAMP [--partition P] [--limit N] [--follow]
  Prints the topic's committed records (read_committed) as JSON lines: topic, partition, offset,
  timestamp, key, headers and the value decoded (Avro through the schema registry, JSON as is).
  --from OFFSET applies to every partition read; a timestamp starts each partition at its first
  record at or after it. Stops at the end offsets the topic has when it starts, unless --follow.`;

/** `replay --topic T --from …`: decoded records as JSON lines. */
export async function replayCommand(args: readonly string[], io: CliIo, ctx: () => CliContext): Promise<number> {
  const { values } = parseCommand(args, {
    topic: { type: 'string' },
    from: { type: 'string' },
    partition: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean', default: false },
  });
  if (!values.topic) throw new UsageError('missing --topic');
  if (!values.from) throw new UsageError('missing --from (beginning, end, an offset or an ISO-8601 timestamp)');
  let from: StartPosition;
  try {
    from = parseStartPosition(values.from);
  } catch (err) {
    throw new UsageError(`--from ${(err as Error).message}`);
  }
  const partitions = values.partition === undefined ? undefined : [nonNegativeInteger(values.partition, '--partition')];
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : nonNegativeInteger(values.limit, '--limit');
  const topic = values.topic;
  const c = ctx();
  const admin = c.kafka.admin();
  await admin.connect();
  let start: Record<string, number>;
  let end: Record<string, number> | undefined;
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) throw new UsageError(`--topic '${topic}' does not exist`);
    start = await resolveStartOffsets(admin, topic, from, partitions);
    if (partitions && Object.keys(start).length === 0) {
      throw new UsageError(`--partition ${partitions[0]} does not exist in '${topic}'`);
    }
    end = values.follow ? undefined : await endOffsets(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
  if (limit === 0) return ExitCode.OK;
  let printed = 0;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    await readFromOffsets(c.kafka, {
      start: { [topic]: start },
      ...(end ? { end: { [topic]: end } } : {}),
      signal: stop.signal,
      onRecord: async (record) => {
        const line = toJsonLine(await decodeRecord(record, (v) => c.registry.decode(v)));
        if (!io.stdout.write(`${line}\n`)) await new Promise((resolve) => io.stdout.once('drain', resolve));
        return ++printed < limit;
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  return ExitCode.OK;
}
