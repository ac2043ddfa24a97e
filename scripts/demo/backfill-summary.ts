import type { Redis } from 'ioredis';
import type { BulkBackfillCursor } from '../../src/streams/backfill-plan.ts';
import { num } from './progress.ts';

/** What the activity backfill's bulk phase spent, summed over the connection's activity groups. */
export interface BackfillSpend {
  groups: number;
  bulkWindows: number;
  restWindows: number;
  calls: number;
  exportedMb: number;
  handoverAt?: string;
}

/** Reads the bulk phase of every activity group from the connection's mirrored cursors in Redis. */
export async function backfillSpend(redis: Redis, connection: string): Promise<BackfillSpend> {
  const keys = await redis.keys(`mkto:{${connection}}:cursor:activities.*`);
  const spend: BackfillSpend = { groups: 0, bulkWindows: 0, restWindows: 0, calls: 0, exportedMb: 0 };
  for (const key of keys) {
    const json = await redis.hget(key, 'json');
    const bulk = json ? (JSON.parse(json) as { bulk?: BulkBackfillCursor }).bulk : undefined;
    if (!bulk) continue;
    spend.groups++;
    spend.bulkWindows += bulk.bulkWindows;
    spend.restWindows += bulk.restWindows;
    spend.calls += bulk.calls;
    spend.exportedMb += bulk.exportedBytes / (1024 * 1024);
    spend.handoverAt = bulk.handoverAt;
  }
  return spend;
}

/** The summary line of the backfill's planner: windows by path, calls and export MB spent. */
export function formatBackfillSpend(s: BackfillSpend, method: string, totalCalls: number): string {
  if (s.groups === 0) return `Backfill (${method}): REST paging only, ${num(totalCalls)} Marketo calls in all.`;
  return (
    `Backfill (${method}): ${s.bulkWindows} window(s) through Bulk Extract and ${s.restWindows} through REST ` +
    `before ${s.handoverAt?.slice(0, 10)} (${s.groups} activity group(s)), spending ${num(s.calls)} calls and ` +
    `${s.exportedMb.toFixed(1)} MB of the export budget; REST from there on; ${num(totalCalls)} Marketo calls in all.`
  );
}
