import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import { CursorStore } from '../cursor/index.ts';
import { leaseKey } from '../lease/index.ts';
import type { Logger } from '../log.ts';
import { Quota, type QuotaStatus } from '../quota/index.ts';
import { type ConnectionStatus, readConnectionStatus } from './connection-status.ts';
import { type StreamView, viewCursor } from './cursor-view.ts';

/** One Marketo instance's quota day, as `status` shows it. */
export interface InstanceView {
  instance: string;
  /** The quota day (YYYY-MM-DD, quota time zone). */
  date: string;
  /** Calls counted today (ours; `quota reconcile` raises it to Marketo's own count). */
  used: number;
  /** Marketo's daily limit for the instance (`dailyQuota`). */
  limit: number;
  /** Calls left for the customer's other integrations (`quotaReserve`). */
  reserve: number;
  /** Calls this service may still make today. */
  remaining: number;
  /** ISO instant of the next reset. */
  resetsAt: string;
  paused: boolean;
  /** Why the instance is paused, when it is. */
  pauseReason?: string;
  errors: QuotaStatus['errors'];
}

/** One connection: its supervision state, which worker holds it, and its streams' cursors. */
export interface ConnectionView extends ConnectionStatus {
  connection: string;
  instance: string;
  /** The worker holding the connection's lease (`<pid>-<uuid>`), if any. */
  worker?: string;
  streams: StreamView[];
}

/** Everything `status` shows, read from Redis at one moment. */
export interface StatusSnapshot {
  /** ISO instant the snapshot was taken. */
  at: string;
  instances: InstanceView[];
  connections: ConnectionView[];
}

/** What {@link readStatus} reads with. */
export interface StatusSource {
  config: Readonly<Config>;
  redis: Redis;
  clock: Clock;
  logger: Logger;
}

/** The quota of an instance as the service itself builds it (the budget is the limit minus the reserve). */
export function quotaOf(source: StatusSource, connection: Readonly<ConnectionConfig>): Quota {
  return new Quota({
    redis: source.redis,
    instance: connection.instance,
    dailyBudget: connection.dailyQuota - connection.quotaReserve,
    ratePer20s: connection.ratePer20s,
    maxInFlight: connection.maxInFlight,
    timeZone: source.config.quotaTimeZone,
    clock: source.clock,
    logger: source.logger,
  });
}

/** The first configured connection of every instance (connections on one instance share its quota). */
export function connectionsByInstance(config: Readonly<Config>): Map<string, Readonly<ConnectionConfig>> {
  const byInstance = new Map<string, Readonly<ConnectionConfig>>();
  for (const c of config.connections) if (!byInstance.has(c.instance)) byInstance.set(c.instance, c);
  return byInstance;
}

/** Today's quota figures of `connection`'s instance. */
export async function readInstance(
  source: StatusSource,
  connection: Readonly<ConnectionConfig>,
): Promise<InstanceView> {
  const q = await quotaOf(source, connection).status();
  const view: InstanceView = {
    instance: connection.instance,
    date: q.date,
    used: q.used,
    limit: connection.dailyQuota,
    reserve: connection.quotaReserve,
    remaining: q.remaining,
    resetsAt: q.resetsAt,
    paused: q.remaining === 0,
    errors: q.errors,
  };
  if (q.exhausted) view.pauseReason = 'Marketo answered 607 (daily quota reached)';
  else if (q.remaining === 0) view.pauseReason = `daily budget spent (${q.used} of ${q.limit})`;
  return view;
}

/** Reads the quota of every configured instance and the status and cursors of every configured connection. */
export async function readStatus(source: StatusSource): Promise<StatusSnapshot> {
  const now = source.clock.now();
  const cursors = new CursorStore({ redis: source.redis, logger: source.logger });
  const instances = await Promise.all(
    [...connectionsByInstance(source.config).values()].map((c) => readInstance(source, c)),
  );
  const connections = await Promise.all(
    source.config.connections.map(async (c): Promise<ConnectionView> => {
      const [status, worker, stored] = await Promise.all([
        readConnectionStatus(source.redis, c.id),
        source.redis.get(leaseKey(c.id)),
        cursors.list(c.id),
      ]);
      const streams = Object.entries(stored).map(([stream, cursor]) => viewCursor(stream, cursor, now));
      return { connection: c.id, instance: c.instance, ...status, ...(worker ? { worker } : {}), streams };
    }),
  );
  return { at: new Date(now).toISOString(), instances, connections };
}
