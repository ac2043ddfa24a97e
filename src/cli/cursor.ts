import { randomUUID } from 'node:crypto';
import { CursorStore, type StoredCursor } from '../cursor/index.ts';
import { topicNames } from '../kafka/index.ts';
import { ConnectionLease } from '../lease/index.ts';
import { readCheckpoints, transactionalProducerConfig } from '../producer/index.ts';
import { transactionalIdOf } from '../runner/connection-deps.ts';
import { StreamRunner } from '../runner/stream-runner.ts';
import { configuredConnection } from './connection-args.ts';
import type { CliContext, CliIo } from './context.ts';
import { ExitCode, oneOf, parseCommand, UsageError } from './usage.ts';

export const CURSOR_USAGE = `marketo-stream cursor get <connection> <stream>
marketo-stream cursor set <connection> <stream> --value '<JSON>'
marketo-stream cursor reset <connection> <stream>
  get: the stream's committed checkpoint (Kafka, the truth) and its Redis mirror, as JSON.
  set: merges the JSON object into the current cursor (a null value removes a field) and commits it
       as the next checkpoint. reset: removes the checkpoint, so the next run starts the stream over
       from the connection's start date (consumers then see its records again, at new offsets).
  set and reset need the connection stopped: they hold its lease while they work and refuse when a
  worker holds it; the checkpoint is written in a transaction of the connection's own transactional
  id (which also fences a worker that lost its lease), then mirrored to Redis.`;

const ACTIONS = ['get', 'set', 'reset'] as const;
/** How long the command holds the connection's lease: far longer than it needs. */
const LEASE_MS = 120_000;

/** `cursor get|set|reset <connection> <stream>`. */
export async function cursorCommand(args: readonly string[], io: CliIo, ctx: () => CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { value: { type: 'string' } }, [
    'get|set|reset',
    'connection',
    'stream',
  ]);
  const action = oneOf(positionals[0]!, ACTIONS, '<action>');
  if (action === 'set' && values.value === undefined) throw new UsageError('cursor set needs --value <JSON>');
  if (action !== 'set' && values.value !== undefined) throw new UsageError(`--value is only for cursor set`);
  const patch = action === 'set' ? parsePatch(values.value!) : undefined;
  const c = ctx();
  const connection = configuredConnection(c.config, positionals[1]!).id;
  const stream = positionals[2]!;

  const topics = topicNames(c.config.kafka.topicPrefix);
  const store = new CursorStore({ redis: c.redis, logger: c.logger });
  const key = StreamRunner.checkpointKey(connection, stream);
  const [checkpoints, mirrors] = await Promise.all([
    readCheckpoints(c.kafka, topics.checkpoints, `${connection}:`),
    store.list(connection),
  ]);
  const checkpoint = checkpoints.get(key) as StoredCursor | undefined;
  const mirror = mirrors[stream];
  if (!checkpoint && !mirror) {
    const known = [
      ...new Set([...[...checkpoints.keys()].map((k) => k.slice(connection.length + 1)), ...Object.keys(mirrors)]),
    ];
    throw new UsageError(
      `<stream> '${stream}' has no cursor on connection '${connection}' (streams with one: ${known.sort().join(', ') || 'none'})`,
    );
  }
  // The runner resumes from whichever has the higher sequence.
  const current = [checkpoint, mirror]
    .filter((x): x is StoredCursor => x !== undefined)
    .sort((a, b) => b.seq - a.seq)[0]!;
  if (action === 'get') {
    io.stdout.write(
      `${JSON.stringify({ connection, stream, checkpoint: checkpoint ?? null, mirror: mirror ?? null })}\n`,
    );
    return ExitCode.OK;
  }

  const lease = new ConnectionLease({
    redis: c.redis,
    connection,
    logger: c.logger,
    holderId: `cli-${process.pid}-${randomUUID()}`,
  });
  if ((await c.redis.set(lease.key, lease.holderId, 'PX', LEASE_MS, 'NX')) !== 'OK') {
    const holder = await c.redis.get(lease.key);
    io.stderr.write(
      `marketo-stream cursor ${action}: connection '${connection}' is running (worker ${holder ?? 'unknown'}); stop it first\n`,
    );
    return ExitCode.FAILED;
  }
  try {
    const next = patch ? patched(current, patch, c.clock.now()) : null;
    await writeCheckpoint(c, topics.checkpoints, connection, key, next);
    if (next) await store.set(connection, stream, next);
    else await store.remove(connection, stream);
    io.stdout.write(`${JSON.stringify({ connection, stream, action, previous: current, cursor: next })}\n`);
    return ExitCode.OK;
  } finally {
    await lease.release();
  }
}

function parsePatch(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--value is not JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError('--value must be a JSON object');
  const patch = value as Record<string, unknown>;
  for (const field of ['seq', 'updatedAt']) {
    if (field in patch) throw new UsageError(`--value must not set '${field}' (the command sets it)`);
  }
  if ('phase' in patch && patch.phase !== 'backfill' && patch.phase !== 'incremental') {
    throw new UsageError(`--value: phase must be "backfill" or "incremental"`);
  }
  return patch;
}

/** `current` with `patch` merged in (null removes a field), as the next checkpoint. */
function patched(current: StoredCursor, patch: Record<string, unknown>, now: number): StoredCursor {
  const next: StoredCursor = { ...current, seq: current.seq + 1, updatedAt: new Date(now).toISOString() };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else next[field] = value;
  }
  return next;
}

/**
 * Commits one checkpoint record (a tombstone for null) in a transaction of the connection's own
 * transactional id: the same exactly-once path the runner uses, and a fence for any zombie worker.
 */
async function writeCheckpoint(
  c: CliContext,
  topic: string,
  connection: string,
  key: string,
  cursor: StoredCursor | null,
): Promise<void> {
  const producer = c.kafka.producer(transactionalProducerConfig(transactionalIdOf(connection)));
  await producer.connect();
  try {
    const txn = await producer.transaction();
    try {
      await txn.send({ topic, messages: [{ key, value: cursor === null ? null : JSON.stringify(cursor) }] });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  } finally {
    await producer.disconnect();
  }
}
