import type { Redis } from 'ioredis';

/**
 * The states a connection's supervisor writes to `mkto:{<connection>}:status` (issue #12): running,
 * paused (quota), failed (needs a person; retried at a long interval), waiting (for a lease or a
 * retry), stopped. `unknown` is what readers show when the key does not exist.
 */
export const CONNECTION_STATES = ['running', 'paused', 'failed', 'waiting', 'stopped', 'unknown'] as const;

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

/** Reads a connection's status; `{ state: 'unknown' }` when none was written (or the state is not one we know). */
export async function readConnectionStatus(redis: Redis, connection: string): Promise<ConnectionStatus> {
  const hash = await redis.hgetall(connectionStatusKey(connection));
  const state = (CONNECTION_STATES as readonly string[]).includes(hash.state ?? '')
    ? (hash.state as ConnectionState)
    : 'unknown';
  const status: ConnectionStatus = { state };
  if (hash.reason) status.reason = hash.reason;
  if (hash.since) status.since = hash.since;
  if (hash.nextRetryAt) status.nextRetryAt = hash.nextRetryAt;
  return status;
}
