import { readFileSync } from 'node:fs';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import {
  type ConnectionRecord,
  connectionsTopic,
  ensureConnectionsTopic,
  readConnections,
  validateConnectionRecord,
  writeConnections,
} from '../fleet/index.ts';
import type { CliContext, CliIo } from './context.ts';
import { formatTable } from './table.ts';
import { ExitCode, oneOf, parseCommand, UsageError } from './usage.ts';

export const CONNECTIONS_USAGE = `marketo-stream connections apply <file>
marketo-stream connections list [--json]
marketo-stream connections remove <id>
  The connections of a fleet (FLEET_ENABLED=true), kept in the compacted topic <prefix>.connections
  keyed by connection id; running workers pick a change up within seconds.
  apply: adds or replaces the connections of a JSON file (one connection, an array of them, or
         {"connections": [...]}). A connection has the fields of a configured one except clientSecret:
         it names where the workers find the secret instead, clientSecretEnv (a variable) or
         clientSecretFile (a path); secrets are never written to the topic.
  list: the connections the topic holds.
  remove: removes a connection (its worker stops it between pages; cursors and checkpoints stay).`;

/** The connections of an `apply` file, each checked; a problem names the entry and field. */
function connectionsOfFile(path: string): ConnectionRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`<file> ${path}: ${(err as Error).message}`);
  }
  const list =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'connections' in parsed
      ? (parsed as { connections: unknown }).connections
      : parsed;
  const entries = Array.isArray(list) ? list : [list];
  if (entries.length === 0) throw new UsageError(`<file> ${path} holds no connection`);
  const records = entries.map((entry, i) => validateConnectionRecord(entry, `connections.${i}`));
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.id)) {
      throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `<file> ${path}: connection id '${r.id}' appears twice`, {
        field: 'id',
      });
    }
    seen.add(r.id);
  }
  return records;
}

/** `connections apply <file> | list | remove <id>`. */
export async function connectionsCommand(args: readonly string[], io: CliIo, ctx: () => CliContext): Promise<number> {
  if (args[0] === undefined) throw new UsageError('missing argument <action> (apply, list or remove)');
  const action = oneOf(args[0], ['apply', 'list', 'remove'] as const, '<action>');
  const rest = args.slice(1);
  if (action === 'list') {
    const { values } = parseCommand(rest, { json: { type: 'boolean', default: false } });
    const c = ctx();
    const topic = await ensureConnectionsTopic(c.kafka, c.config);
    const records = [...(await readConnections(c.kafka, topic)).values()].sort((a, b) => a.id.localeCompare(b.id));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(records)}\n`);
      return ExitCode.OK;
    }
    const rows = records.map((r) => [
      r.id,
      String(r.instance ?? ''),
      String(r.baseUrl ?? ''),
      r.clientSecretEnv !== undefined ? `env ${r.clientSecretEnv}` : `file ${r.clientSecretFile ?? ''}`,
      Array.isArray(r.streams) ? r.streams.join(',') : 'all',
    ]);
    io.stdout.write(`${formatTable(['ID', 'INSTANCE', 'BASE URL', 'SECRET FROM', 'STREAMS'], rows)}\n`);
    return ExitCode.OK;
  }
  if (action === 'apply') {
    const { positionals } = parseCommand(rest, {}, ['file']);
    const records = connectionsOfFile(positionals[0]!);
    const c = ctx();
    const topic = await ensureConnectionsTopic(c.kafka, c.config);
    await writeConnections(
      c.kafka,
      topic,
      records.map((record) => ({ id: record.id, record })),
    );
    for (const r of records) io.stdout.write(`applied ${r.id}\n`);
    return ExitCode.OK;
  }
  const { positionals } = parseCommand(rest, {}, ['id']);
  const id = positionals[0]!;
  const c = ctx();
  const topic = connectionsTopic(c.config.kafka.topicPrefix);
  const known = await readConnections(c.kafka, await ensureConnectionsTopic(c.kafka, c.config));
  if (!known.has(id)) {
    throw new UsageError(
      `<id> '${id}' is not a connection (connections: ${[...known.keys()].sort().join(', ') || 'none'})`,
    );
  }
  await writeConnections(c.kafka, topic, [{ id, record: null }]);
  io.stdout.write(`removed ${id}\n`);
  return ExitCode.OK;
}
