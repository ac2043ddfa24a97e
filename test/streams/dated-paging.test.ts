import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { MarketoClient, MarketoResponse } from '../../src/marketo/index.ts';
import {
  afterDatedPage,
  type DatedCursor,
  datedCursorRules,
  datedPage,
  newestDate,
} from '../../src/streams/dated-paging.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** A Marketo client that only hands out paging tokens, recording the dates asked for. */
function tokenClient(asked: string[]): MarketoClient {
  const get = async (_path: string, query?: Record<string, unknown>) => {
    asked.push(String(query?.sinceDatetime));
    return { result: [], warnings: [], nextPageToken: `fresh:${query?.sinceDatetime}`, raw: {} };
  };
  return { get } as unknown as MarketoClient;
}

const ctx = { clock: new FakeClock(), logger: createLogger({ level: 'silent' }), signal: new AbortController().signal };
const page = (token: string): MarketoResponse<{ activityDate: string }> => ({
  result: [{ activityDate: '2026-01-01T00:00:00Z' }],
  warnings: [],
  nextPageToken: `after:${token}`,
  moreResult: true,
  raw: {},
});
const cursor: DatedCursor = {
  seq: 4,
  phase: 'backfill',
  updatedAt: '2026-01-02T00:00:00Z',
  sinceDate: '2025-12-01T00:00:00Z',
  maxActivityDate: '2026-01-01T12:00:00Z',
};

describe('datedPage', () => {
  it('asks at the stored token, and for a fresh token from sinceDate when there is none', async () => {
    const asked: string[] = [];
    const o = { client: tokenClient(asked), startDate: '2025-01-01T00:00:00Z', lookbackMs: 3_600_000, name: 's' };
    const tokens: string[] = [];
    const ask = async (token: string) => {
      tokens.push(token);
      return page(token);
    };
    await datedPage(o, { ...cursor, nextPageToken: 'stored' }, ctx, ask);
    await datedPage(o, cursor, ctx, ask);
    expect(tokens).toEqual(['stored', 'fresh:2025-12-01T00:00:00Z']);
    expect(asked).toEqual(['2025-12-01T00:00:00Z']);
  });

  it('a held token from the ring that Marketo rejects is replaced by a fresh one from its own date (the whole window is re-read)', async () => {
    const asked: string[] = [];
    const notified: string[] = [];
    const o = {
      client: tokenClient(asked),
      startDate: '2025-01-01T00:00:00Z',
      lookbackMs: 3_600_000,
      name: 's',
      onFreshToken: (since: string, token: string) => notified.push(`${since} ${token}`),
    };
    const ask = async (token: string) => {
      if (token === 'held') {
        throw new MarketoStreamError(ErrorCodes.PAGING_TOKEN_INVALID, 'Invalid nextPageToken', { marketoCode: '1003' });
      }
      return page(token);
    };
    // A deep re-read from 26 hours back: not one regular window behind the newest record.
    const deep = { ...cursor, sinceDate: '2025-12-31T10:00:00Z', nextPageToken: 'held', ringStart: true };
    const got = await datedPage(o, deep, ctx, ask);
    expect(asked).toEqual(['2025-12-31T10:00:00Z']);
    expect(got.nextPageToken).toBe('after:fresh:2025-12-31T10:00:00Z');
    expect(notified).toEqual(['2025-12-31T10:00:00Z fresh:2025-12-31T10:00:00Z']);
    expect(afterDatedPage(deep, got).ringStart).toBeUndefined();
  });

  it('replaces a rejected token by a fresh one from one look-back window behind the newest record', async () => {
    const asked: string[] = [];
    const o = { client: tokenClient(asked), startDate: '2025-01-01T00:00:00Z', lookbackMs: 3_600_000, name: 's' };
    const ask = async (token: string) => {
      if (token === 'expired') {
        throw new MarketoStreamError(ErrorCodes.PAGING_TOKEN_INVALID, 'Invalid nextPageToken', { marketoCode: '1003' });
      }
      return page(token);
    };
    const res = await datedPage(o, { ...cursor, nextPageToken: 'expired' }, ctx, ask);
    expect(asked).toEqual(['2026-01-01T11:00:00Z']);
    expect(res.nextPageToken).toBe('after:fresh:2026-01-01T11:00:00Z');
  });

  it('passes any other failure through', async () => {
    const o = { client: tokenClient([]), startDate: '2025-01-01T00:00:00Z', lookbackMs: 0, name: 's' };
    const boom = new MarketoStreamError(ErrorCodes.UNAVAILABLE, 'down', { retriable: true });
    await expect(datedPage(o, { ...cursor, nextPageToken: 't' }, ctx, () => Promise.reject(boom))).rejects.toBe(boom);
  });
});

describe('newestDate', () => {
  it('keeps the newest of the cursor and the records, in one canonical form', () => {
    expect(newestDate('2026-01-01T00:00:00Z', [{ activityDate: '2026-01-02T00:00:00+0000' }])).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect(newestDate('2026-01-03T00:00:00Z', [{ activityDate: '2026-01-02T00:00:00Z' }])).toBe(
      '2026-01-03T00:00:00.000Z',
    );
    expect(newestDate(undefined, [])).toBeUndefined();
  });
});

describe('datedCursorRules', () => {
  const rules = datedCursorRules<DatedCursor>({ startDate: '2025-01-01T00:00:00Z', lookbackMs: 3_600_000 });
  const now = Date.parse('2026-01-02T00:00:00Z');

  it('starts at the start date, and records when each pass began', () => {
    const first = rules.beginPass(rules.initialCursor(now), now);
    expect(first).toMatchObject({ seq: 0, phase: 'backfill', sinceDate: '2025-01-01T00:00:00Z' });
    expect(first.passStartedAt).toBe('2026-01-02T00:00:00.000Z');
  });

  it('starts a later pass one look-back behind the later of the last pass start and the newest record', () => {
    const next = rules.beginPass({ ...cursor, passStartedAt: '2026-01-01T18:00:00Z' }, now);
    expect(next.sinceDate).toBe('2026-01-01T17:00:00.000Z');
    expect(rules.beginPass({ ...cursor, passStartedAt: '2026-01-01T06:00:00Z' }, now).sinceDate).toBe(
      '2026-01-01T11:00:00.000Z',
    );
  });

  it('is in a pass while a paging token is held', () => {
    expect(rules.inPass(cursor)).toBe(false);
    expect(rules.inPass({ ...cursor, nextPageToken: 't' })).toBe(true);
  });
});

describe('afterDatedPage', () => {
  it('keeps the token while Marketo has more, and ends the backfill phase at the end', () => {
    const mid = afterDatedPage(cursor, page('a'));
    expect(mid).toMatchObject({
      nextPageToken: 'after:a',
      phase: 'backfill',
      maxActivityDate: '2026-01-01T12:00:00.000Z',
    });
    const end = afterDatedPage(mid, { result: [{ activityDate: '2026-01-01T13:00:00Z' }], moreResult: false });
    expect(end).toMatchObject({ phase: 'incremental', maxActivityDate: '2026-01-01T13:00:00.000Z' });
    expect(end.nextPageToken).toBeUndefined();
  });
});
