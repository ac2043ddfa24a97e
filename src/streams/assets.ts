import type { AssetKind, MarketoClient } from '../marketo/index.ts';
import { formatMarketoDate, getAssetPage, LIMITS, parseMarketoDate } from '../marketo/index.ts';
import { type AssetContext, recordKey } from '../schemas/index.ts';
import { effectiveLookbackMs, passStart } from './pass-start.ts';
import type { StreamCursor, StreamDefinition } from './stream.ts';

/** Cursor of an asset stream (programs, smart campaigns). */
export interface AssetCursor extends StreamCursor {
  /** Lower bound (inclusive) of `updatedAt` for the current or next pass (ISO). */
  updatedSince: string;
  /** Upper bound of the current pass, fixed when it began; absent between passes. */
  windowEnd?: string;
  /** Offset of the next page inside the current pass. */
  offset: number;
}

/** The first pass asks for everything updated since then (Marketo did not exist before). */
export const ASSET_EPOCH = '2006-01-01T00:00:00Z';

export interface AssetStreamOptions {
  client: MarketoClient;
  kind: AssetKind;
  /** Stream (and cursor) name. */
  name: string;
  topic: string;
  eventType: string;
  schema: object;
  toValue: (raw: Record<string, unknown>, ctx: AssetContext) => Record<string, unknown>;
  instance: string;
  connection: string;
  /** Each pass re-reads this much before the previous window's end; records already published are recognised. */
  overlapMs: number;
}

/**
 * An asset collection (`asset/v1/programs.json`, `smartCampaigns.json`) pulled incrementally on
 * `updatedAt`: a pass asks for the window [updatedSince, now] (dates in UTC without milliseconds;
 * Marketo's `Z+0000` dates are normalised), paged by offset 200 until the "No assets found" end;
 * the next pass starts `overlapMs` before this window's end. A record's id is
 * `<assetId>@<updatedAt>`, so the overlap re-read publishes nothing twice while an asset updated
 * again is published again. Key: `<instance>:<assetId>`.
 */
export function assetStream(o: AssetStreamOptions): StreamDefinition<Record<string, unknown>, AssetCursor> {
  const overlapMs = effectiveLookbackMs(o.overlapMs);
  // The next pass starts by the dated streams' rule, from this pass's start (its window's end).
  const closeWindow = (cursor: AssetCursor): AssetCursor => {
    const floor = parseMarketoDate(cursor.updatedSince);
    const since =
      passStart({
        lastPassStart: parseMarketoDate(cursor.windowEnd ?? cursor.updatedSince),
        floor,
        lookbackMs: overlapMs,
      }) ?? floor;
    return { ...cursor, updatedSince: formatMarketoDate(since), windowEnd: undefined, offset: 0, phase: 'incremental' };
  };
  return {
    name: o.name,
    topic: o.topic,
    eventType: o.eventType,
    lookbackMs: overlapMs,
    schema: () => o.schema,
    initialCursor: (now) => ({
      seq: 0,
      phase: 'backfill',
      updatedSince: ASSET_EPOCH,
      offset: 0,
      updatedAt: new Date(now).toISOString(),
    }),
    inPass: (cursor) => cursor.windowEnd !== undefined,
    beginPass: (cursor, now) => ({ ...cursor, windowEnd: formatMarketoDate(now), offset: 0 }),
    async fetchPage(cursor, ctx) {
      const windowEnd = cursor.windowEnd ?? formatMarketoDate(ctx.clock.now());
      // Marketo wants earliest strictly before latest: an empty window has nothing to ask.
      if (parseMarketoDate(cursor.updatedSince) >= parseMarketoDate(windowEnd)) {
        return { records: [], cursor: closeWindow({ ...cursor, windowEnd }), done: true };
      }
      const page = await getAssetPage(o.client, o.kind, {
        offset: cursor.offset,
        maxReturn: LIMITS.maxReturn,
        earliestUpdatedAt: cursor.updatedSince,
        latestUpdatedAt: windowEnd,
        signal: ctx.signal,
      });
      const records = page.result as unknown as Record<string, unknown>[];
      if (page.done) return { records, cursor: closeWindow({ ...cursor, windowEnd }), done: true };
      return { records, cursor: { ...cursor, windowEnd, offset: cursor.offset + LIMITS.maxReturn }, done: false };
    },
    toRecord(raw, pulledAt) {
      const value = o.toValue(raw, { instance: o.instance, connection: o.connection, pulledAt });
      const id = value.id as number;
      const updatedAt = value.updatedAt as number;
      return {
        key: recordKey(o.instance, id),
        value,
        id: `${id}@${new Date(updatedAt).toISOString()}`,
        time: updatedAt,
      };
    },
  };
}
