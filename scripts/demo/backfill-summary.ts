import type { Redis } from 'ioredis';
import type { BulkBackfillCursor } from '../../src/streams/backfill-plan.ts';
import { num } from './progress.ts';

/** What the bulk phases of some streams spent, summed. */
export interface PhaseSpend {
  streams: number;
  bulkWindows: number;
  restWindows: number;
  calls: number;
  exportedMb: number;
  handoverAt?: string;
  /** Marketo refused the export's filter (1035): the phase went through REST. */
  refused: boolean;
}

/** What the backfill's bulk phases spent: the activity groups', and the lead snapshot's. */
export interface BackfillSpend {
  activities: PhaseSpend;
  leads: PhaseSpend;
}

/** Sums the bulk phases of the connection's mirrored cursors of the streams matching `pattern`. */
async function phaseSpend(redis: Redis, connection: string, pattern: string): Promise<PhaseSpend> {
  const keys = await redis.keys(`mkto:{${connection}}:cursor:${pattern}`);
  const spend: PhaseSpend = { streams: 0, bulkWindows: 0, restWindows: 0, calls: 0, exportedMb: 0, refused: false };
  for (const key of keys) {
    const json = await redis.hget(key, 'json');
    const bulk = json ? (JSON.parse(json) as { bulk?: BulkBackfillCursor }).bulk : undefined;
    if (!bulk) continue;
    spend.streams++;
    spend.bulkWindows += bulk.bulkWindows;
    spend.restWindows += bulk.restWindows;
    spend.calls += bulk.calls;
    spend.exportedMb += bulk.exportedBytes / (1024 * 1024);
    spend.handoverAt = bulk.handoverAt;
    spend.refused ||= bulk.refused === true;
  }
  return spend;
}

/** Reads the bulk phases of the activity groups and of the lead snapshot from the connection's mirrored cursors in Redis. */
export async function backfillSpend(redis: Redis, connection: string): Promise<BackfillSpend> {
  return {
    activities: await phaseSpend(redis, connection, 'activities.*'),
    leads: await phaseSpend(redis, connection, 'leads.changes'),
  };
}

/**
 * The summary of the backfill's planner: per part (activities, the lead snapshot) the windows by
 * path, calls and export MB spent, then the total of both and all Marketo calls.
 */
export function formatBackfillSpend(s: BackfillSpend, method: string, totalCalls: number): string {
  const { activities: a, leads: l } = s;
  if (a.streams + l.streams === 0)
    return `Backfill (${method}): REST paging only, ${num(totalCalls)} Marketo calls in all.`;
  const part = (p: PhaseSpend, what: string) =>
    `${what}: ${p.bulkWindows} window(s) through Bulk Extract and ${p.restWindows} through REST` +
    `${p.refused ? ' (Marketo refused the export filter: 1035)' : ''}, ${num(p.calls)} calls, ${p.exportedMb.toFixed(1)} MB`;
  const parts = [
    ...(a.streams > 0 ? [part(a, `activities (${a.streams} group(s))`)] : []),
    ...(l.streams > 0 ? [part(l, 'lead snapshot')] : []),
  ];
  const handoverAt = a.handoverAt ?? l.handoverAt;
  return (
    `Backfill (${method}) before ${handoverAt?.slice(0, 10)}: ${parts.join('; ')}. ` +
    `In all ${num(a.calls + l.calls)} calls and ${(a.exportedMb + l.exportedMb).toFixed(1)} MB of the export budget; ` +
    `REST from there on; ${num(totalCalls)} Marketo calls in all.`
  );
}
