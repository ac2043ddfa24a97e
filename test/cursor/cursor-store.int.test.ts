import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CursorStore, type StoredCursor } from '../../src/cursor/index.ts';
import { createLogger } from '../../src/log.ts';

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
      activityDate: Date.parse('2026-01-10T08:00:00Z'),
      nextPageToken: 'ABCDEF==',
      window: { start: Date.parse('2026-01-01T00:00:00Z'), end: Date.parse('2026-02-01T00:00:00Z') },
      phase: 'backfill',
      seen: ['guid-1', 'guid-2'],
    });
    expect(await store.set(conn, 'activities', c)).toBe(true);
    expect(await store.get(conn, 'activities')).toEqual(c);
    const hash = await redis.hgetall(`mkto:{${conn}}:cursor:activities`);
    expect(hash).toMatchObject({
      seq: '7',
      updatedAt: c.updatedAt,
      activityDate: '2026-01-10T08:00:00.000Z',
      nextPageToken: 'ABCDEF==',
      window: '2026-01-01T00:00:00.000Z/2026-02-01T00:00:00.000Z',
      phase: 'backfill',
    });
    expect(JSON.parse(hash.json!)).toEqual(c);
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

  it('lists the cursors of one connection only', async () => {
    const store = new CursorStore({ redis, logger });
    const conn = connection();
    const elsewhere = connection();
    await store.set(conn, 'activities:1-2', cursor(1));
    await store.set(conn, 'programs', cursor(2));
    await store.set(elsewhere, 'programs', cursor(3));
    expect(await store.list(conn)).toEqual({ 'activities:1-2': cursor(1), programs: cursor(2) });
  });

  it('rejects a cursor without a valid seq', async () => {
    const store = new CursorStore({ redis, logger });
    await expect(store.set(connection(), 'leads', cursor(-1))).rejects.toThrow(/seq/);
    await expect(store.set(connection(), 'leads', { seq: 1.5, updatedAt: 'x' })).rejects.toThrow(/seq/);
  });
});
