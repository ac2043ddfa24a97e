import type { Redis } from 'ioredis';

/**
 * The states a connection's supervisor writes to `mkto:{<connection>}:status` (issue #12): running,
 * paused-quota (the daily budget is spent), failed (needs a person; retried at a long interval),
 * waiting (for a lease or a retry), stopped. `paused` is an older name of paused-quota, still read;
 * `unknown` is what readers show when the key does not exist.
 */
export const CONNECTION_STATES = [
  'running',
  'paused-quota',
  'paused',
  'failed',
  'waiting',
  'stopped',
  'unknown',
] as const;

export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** A connection's supervision status as operators see it. */
export interface ConnectionStatus {
  state: ConnectionState;
  /** Why it is in that state (a failure's message, "daily quota spent", …). */
  reason?: string;
  /** ISO instant it entered the state. */
  since?: string;
  /** ISO instant of the next retry (failed or paused connections). */
  nextRetryAt?: string;
}

/** The Redis hash holding a connection's status; fields `state`, `reason`, `since`, `nextRetryAt`. */
export const connectionStatusKey = (connection: string) => `mkto:{${connection}}:status`;

/**
 * Reads a connection's status; `{ state: 'unknown' }` when none was written (or the state is not one
 * we know). The key is a hash of the fields above; a JSON object stored as a string is read too.
 */
export async function readConnectionStatus(redis: Redis, connection: string): Promise<ConnectionStatus> {
  const key = connectionStatusKey(connection);
  const type = await redis.type(key);
  let fields: Record<string, unknown> = {};
  if (type === 'hash') fields = await redis.hgetall(key);
  else if (type === 'string') {
    try {
      fields = JSON.parse((await redis.get(key)) ?? '{}') as Record<string, unknown>;
    } catch {
      fields = {};
    }
  }
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const state = (CONNECTION_STATES as readonly unknown[]).includes(fields.state)
    ? (fields.state as ConnectionState)
    : 'unknown';
  const status: ConnectionStatus = { state };
  const reason = text(fields.reason);
  const since = text(fields.since);
  const nextRetryAt = text(fields.nextRetryAt);
  if (reason) status.reason = reason;
  if (since) status.since = since;
  if (nextRetryAt) status.nextRetryAt = nextRetryAt;
  return status;
}
