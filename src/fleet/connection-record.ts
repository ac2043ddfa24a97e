import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type ConnectionConfig, connectionSchema } from '../config/schema.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** The compacted topic holding the fleet's connections, keyed by connection id (a null value removes one). */
export const connectionsTopic = (prefix: string) => `${prefix}.connections`;

/**
 * A connection as the connections topic holds it: every field of a configured connection except
 * the client secret, which never leaves the workers. The record names where each worker finds it:
 * an environment variable (`clientSecretEnv`) or a file (`clientSecretFile`).
 */
export type ConnectionRecord = Record<string, unknown> & {
  id: string;
  clientSecretEnv?: string;
  clientSecretFile?: string;
};

const secretSource = z
  .object({
    clientSecretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    clientSecretFile: z.string().min(1, 'must be a file path').optional(),
    clientSecret: z.never('must not be in the record: give clientSecretEnv or clientSecretFile').optional(),
  })
  .refine((r) => (r.clientSecretEnv === undefined) !== (r.clientSecretFile === undefined), {
    path: ['clientSecretEnv'],
    message: 'give exactly one of clientSecretEnv or clientSecretFile',
  });

/** Marks the secret in a record checked without one (the CLI cannot see the workers' secrets). */
const SECRET_PLACEHOLDER = '(resolved on the workers)';

/**
 * Checks a record as `connections apply` writes it: a valid connection apart from the secret, and
 * a secret source. Throws MarketoStreamError (CONFIG_INVALID) naming every offending field.
 */
export function validateConnectionRecord(input: unknown, where = 'connection'): ConnectionRecord {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, `${where}: must be an object`, { field: where });
  }
  const record = input as Record<string, unknown>;
  const problems: string[] = [];
  const source = secretSource.safeParse(record);
  if (!source.success) problems.push(...source.error.issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`));
  const { clientSecretEnv: _e, clientSecretFile: _f, clientSecret: _s, ...rest } = record;
  const shape = connectionSchema.safeParse({ ...rest, clientSecret: SECRET_PLACEHOLDER });
  if (!shape.success) problems.push(...shape.error.issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`));
  if (problems.length > 0) {
    throw new MarketoStreamError(ErrorCodes.CONFIG_INVALID, problems.join('\n  '), { field: where });
  }
  return record as ConnectionRecord;
}

/**
 * The connection a worker runs for `record`: the secret read from the variable or file the record
 * names. Throws MarketoStreamError (CONFIG_INVALID) naming the field when the secret is missing
 * or the record is invalid; the secret never appears in the message.
 */
export function resolveConnection(record: ConnectionRecord, env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const checked = validateConnectionRecord(record, `connection ${record.id}`);
  const { clientSecretEnv, clientSecretFile, ...rest } = checked;
  let clientSecret: string | undefined;
  if (clientSecretEnv !== undefined) {
    clientSecret = env[clientSecretEnv];
    if (!clientSecret) {
      throw new MarketoStreamError(
        ErrorCodes.CONFIG_INVALID,
        `connection ${record.id}.clientSecretEnv: ${clientSecretEnv} is not set on this worker`,
        { field: 'clientSecretEnv' },
      );
    }
  } else if (clientSecretFile !== undefined) {
    try {
      clientSecret = readFileSync(clientSecretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new MarketoStreamError(
        ErrorCodes.CONFIG_INVALID,
        `connection ${record.id}.clientSecretFile: cannot read ${clientSecretFile}: ${(err as Error).message}`,
        { field: 'clientSecretFile' },
      );
    }
  }
  return connectionSchema.parse({ ...rest, clientSecret });
}

/** A record's bytes on the topic (JSON). */
export const encodeConnectionRecord = (record: ConnectionRecord): Buffer => Buffer.from(JSON.stringify(record));

/** A record read from the topic; undefined for a tombstone or bytes that are not a JSON object. */
export function decodeConnectionRecord(value: Buffer | null): ConnectionRecord | undefined {
  if (value === null || value.length === 0) return undefined;
  try {
    const parsed = JSON.parse(value.toString()) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ConnectionRecord) : undefined;
  } catch {
    return undefined;
  }
}
