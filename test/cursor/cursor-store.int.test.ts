import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { newJobState } from '../../src/bulk/index.ts';
import { CursorStore, type StoredCursor } from '../../src/cursor/cursor-store.ts';
import { createLogger } from '../../src/log.ts';
import type { activitiesStream } from '../../src/streams/activities.ts';
import { activityGroupName } from '../../src/streams/activity-groups.ts';
import { CAMPAIGNS_STREAM, type campaignsStream } from '../../src/streams/campaigns.ts';
import { LEADS_BY_ACTIVITY_STREAM, type leadsByActivityStream } from '../../src/streams/leads-by-activity.ts';
import { LEAD_CHANGES_STREAM, type leadChangesStream } from '../../src/streams/leads-changes.ts';
import { DELETED_LEADS_STREAM, type deletedLeadsStream } from '../../src/streams/leads-deleted.ts';
import { MERGED_LEADS_STREAM, type mergedLeadsStream } from '../../src/streams/leads-merged.ts';
import { PROGRAMS_STREAM, type programsStream } from '../../src/streams/programs.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const other = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const logger = createLogger({ level: 'silent' });
const connections: string[] = [];

function connection(): string {
  const id = `conn-${randomUUID().slice(0, 8)}`;
  connections.push(id);
  return id;
}

afterAll(async () => {
  for (const c of connections) {
    const keys = await redis.keys(`mkto:{${c}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  other.disconnect();
});

/** The cursor type a stream factory's streams commit. */
type CursorOf<F extends (options: never) => { initialCursor(now: number): unknown }> = ReturnType<
  ReturnType<F>['initialCursor']
>;

const updatedAt = '2026-01-15T12:00:00.000Z';
const lookbackFrom = { '0': 120, '1': 7 };
const dated = {
  seq: 3,
  phase: 'backfill',
  updatedAt,
  lookbackFrom,
  published: 1_234,
  sinceDate: '2025-01-01T00:00:00Z',
  nextPageToken: 'GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBQ',
  maxActivityDate: '2025-03-14T09:30:00Z',
  passStartedAt: '2026-01-15T11:59:00.000Z',
  heldToken: 'GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBR',
  passKind: 'tail',
  lookbackAt: '2026-01-15T11:00:00.000Z',
  deepLookbackAt: '2026-01-15T02:00:00.000Z',
  ringStart: true,
} as const;
const asset = {
  seq: 9,
  phase: 'incremental',
  updatedAt,
  lookbackFrom,
  published: 56,
  updatedSince: '2025-12-31T00:00:00Z',
  windowEnd: '2026-01-15T12:00:00Z',
  offset: 400,
} as const;

// One cursor per stream with EVERY field of its type set: `Required<>` makes the compiler (tsc
// includes test/) reject this list when a field is added to a cursor type and not covered here.
const everyCursorType = {
  [activityGroupName([6, 7, 10])]: {
    ...dated,
    window: '2025-03-14',
    windowCount: 51_000,
    bulk: {
      method: 'auto',
      windowDays: 31,
      handoverAt: '2025-12-28T00:00:00Z',
      windowStart: '2025-02-01T00:00:00Z',
      windowsDone: 1,
      windowsTotal: 11,
      job: {
        ...newJobState('activities', { startAt: '2025-02-01T00:00:00Z', endAt: '2025-03-04T00:00:00Z' }, [6, 7, 10]),
        exportId: 'e-1',
        status: 'Processing',
      },
      bulkWindows: 1,
      restWindows: 0,
      exportedBytes: 1_234_567,
      calls: 7,
    },
    heldTokens: [{ at: '2026-01-15T11:54:00.000Z', token: 'GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBS' }],
    rowsSinceDeep: 4_321,
    deepBulk: {
      method: 'bulk',
      windowDays: 31,
      handoverAt: '2026-01-15T02:00:00Z',
      windowStart: '2026-01-14T00:00:00Z',
      windowsDone: 0,
      windowsTotal: 1,
      job: newJobState('activities', { startAt: '2026-01-14T00:00:00Z', endAt: '2026-01-15T02:00:00Z' }, [6, 7, 10]),
      bulkWindows: 0,
      restWindows: 0,
      exportedBytes: 0,
      calls: 1,
    },
    deepParked: true,
    deepNewest: '2026-01-14T23:59:00Z',
  } satisfies Required<CursorOf<typeof activitiesStream>>,
  [LEAD_CHANGES_STREAM]: {
    ...dated,
    pending: [5, 8, 13],
    bulk: {
      method: 'bulk',
      windowDays: 31,
      handoverAt: '2025-12-28T00:00:00Z',
      windowStart: '2025-03-04T00:00:00Z',
      windowsDone: 2,
      windowsTotal: 11,
      job: {
        ...newJobState('leads', { startAt: '2025-03-04T00:00:00Z', endAt: '2025-04-04T00:00:00Z' }, undefined, [
          'id',
          'email',
          'createdAt',
        ]),
        exportId: 'e-2',
        status: 'Queued',
      },
      bulkWindows: 2,
      restWindows: 0,
      exportedBytes: 345_678,
      calls: 12,
      refused: false,
    },
  } satisfies Required<CursorOf<typeof leadChangesStream>>,
  [DELETED_LEADS_STREAM]: { ...dated, awaitingSnapshot: true } satisfies Required<CursorOf<typeof deletedLeadsStream>>,
  [MERGED_LEADS_STREAM]: { ...dated, awaitingSnapshot: false } satisfies Required<CursorOf<typeof mergedLeadsStream>>,
  [LEADS_BY_ACTIVITY_STREAM]: {
    seq: 4,
    phase: 'incremental',
    updatedAt,
    lookbackFrom,
    published: 78,
    offsets: { '0': 1200, '2': 35 },
  } satisfies Required<CursorOf<typeof leadsByActivityStream>>,
  [PROGRAMS_STREAM]: asset satisfies Required<CursorOf<typeof programsStream>>,
  [CAMPAIGNS_STREAM]: asset satisfies Required<CursorOf<typeof campaignsStream>>,
};

function cursor(seq: number, extra: Record<string, unknown> = {}): StoredCursor {
  return { seq, updatedAt: new Date(Date.UTC(2026, 0, 15, 12, 0, seq)).toISOString(), ...extra };
}

describe('CursorStore (real Redis)', () => {
  it('returns undefined for a stream never committed', async () => {
    const store = new CursorStore({ redis, logger });
    expect(await store.get(connection(), 'activities:1-2-3')).toBeUndefined();
  });

  it('round-trips the full cursor and writes human-readable fields', async () => {
    const store = new CursorStore({ redis, logger });
    const conn = connection();
    const c = cursor(7, {
      phase: 'backfill',
      sinceDate: '2025-01-01T00:00:00Z',
      nextPageToken: 'ABCDEF==',
      window: '2025-03',
      windowCount: 120,
      pending: [1, 2],
      lookbackFrom: { '0': 5 },
    });
    expect(await store.set(conn, 'activities', c)).toBe(true);
    expect(await store.get(conn, 'activities')).toEqual(c);
    const hash = await redis.hgetall(`mkto:{${conn}}:cursor:activities`);
    expect(hash).toEqual({
      seq: '7',
      updatedAt: c.updatedAt,
      phase: 'backfill',
      sinceDate: '2025-01-01T00:00:00Z',
      nextPageToken: 'ABCDEF==',
      window: '2025-03',
      windowCount: '120',
      pending: '[1,2]',
      lookbackFrom: '{"0":5}',
      json: JSON.stringify(c),
    });
  });

  it('mirrors every field of every stream cursor type, and round-trips each', async () => {
    const store = new CursorStore({ redis, logger });
    const conn = connection();
    for (const [stream, c] of Object.entries(everyCursorType)) {
      expect(await store.set(conn, stream, c)).toBe(true);
      expect(await store.get(conn, stream), stream).toEqual(c);
      const hash = await redis.hgetall(`mkto:{${conn}}:cursor:${stream}`);
      expect(Object.keys(hash).sort(), stream).toEqual([...Object.keys(c), 'json'].sort());
      for (const [field, value] of Object.entries(c)) {
        // Strings (names, tokens, ISO dates) are shown as they are, anything else as JSON.
        expect(typeof value === 'string' ? hash[field] : JSON.parse(hash[field]!), `${stream}.${field}`).toEqual(value);
      }
      expect(JSON.parse(hash.json!), stream).toEqual(c);
    }
  });

  it('never moves a cursor backwards: a late writer with a smaller or equal seq is ignored', async () => {
    const a = new CursorStore({ redis, logger });
    const b = new CursorStore({ redis: other, logger });
    const conn = connection();
    expect(await a.set(conn, 'leads', cursor(5, { nextPageToken: 'five' }))).toBe(true);
    expect(await b.set(conn, 'leads', cursor(4, { nextPageToken: 'four' }))).toBe(false);
    expect(await b.set(conn, 'leads', cursor(5, { nextPageToken: 'five-again' }))).toBe(false);
    expect(await a.get(conn, 'leads')).toMatchObject({ seq: 5, nextPageToken: 'five' });
    expect(await b.set(conn, 'leads', cursor(6, { phase: 'increment' }))).toBe(true);
    const stored = await a.get(conn, 'leads');
    expect(stored).toMatchObject({ seq: 6, phase: 'increment' });
    // The newer cursor has no token: the old one's field must not linger in the hash.
    expect(await redis.hget(`mkto:{${conn}}:cursor:leads`, 'nextPageToken')).toBeNull();
  });

  it('concurrent writers end at the highest seq', async () => {
    const stores = [new CursorStore({ redis, logger }), new CursorStore({ redis: other, logger })];
    const conn = connection();
    const seqs = Array.from({ length: 60 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(seqs.map((seq, i) => stores[i % 2]!.set(conn, 'programs', cursor(seq))));
    expect((await stores[0]!.get(conn, 'programs'))?.seq).toBe(60);
  });

  it('lists every stored cursor of one connection, and none of another', async () => {
    const store = new CursorStore({ redis, logger });
    const [mine, theirs] = [connection(), connection()];
    const [incremental, backfill] = [
      { seq: 3, phase: 'incremental', updatedAt },
      { seq: 7, phase: 'backfill', updatedAt },
    ];
    await store.set(mine, 'programs', incremental);
    await store.set(mine, 'leads.changes', backfill);
    await store.set(theirs, 'programs', { ...backfill, seq: 1 });
    const listed = await store.list(mine);
    expect(Object.keys(listed)).toEqual(['leads.changes', 'programs']);
    expect(listed['programs']).toMatchObject({ seq: 3, phase: 'incremental' });
    expect(listed['leads.changes']).toMatchObject({ seq: 7, phase: 'backfill' });
  });

  it('rejects a cursor without a valid seq', async () => {
    const store = new CursorStore({ redis, logger });
    await expect(store.set(connection(), 'leads', cursor(-1))).rejects.toThrow(/seq/);
    await expect(store.set(connection(), 'leads', { seq: 1.5, updatedAt: 'x' })).rejects.toThrow(/seq/);
  });
});
