import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import type { MarketoClient } from '../../src/marketo/index.ts';
import { leadSnapshotSince } from '../../src/streams/lead-snapshot-since.ts';

const START = '2025-01-01T00:00:00Z';
const logger = createLogger({ level: 'silent' });

/** A client whose leads.json answers `leads`, recording what it was asked. */
function clientWith(leads: Record<string, unknown>[]) {
  const asked: Record<string, unknown>[] = [];
  const client = {
    get: async (path: string, query: Record<string, unknown>) => {
      asked.push({ path, ...query });
      return { result: leads, moreResult: false, warnings: [], raw: {} };
    },
  } as unknown as Pick<MarketoClient, 'get'>;
  return { client, asked };
}

describe('where the lead snapshot begins', () => {
  it('absent or `start-date`: the start date, no call', async () => {
    const { client, asked } = clientWith([]);
    expect(await leadSnapshotSince({ setting: undefined, startDate: START, client, logger })).toBe(START);
    expect(await leadSnapshotSince({ setting: 'start-date', startDate: START, client, logger })).toBe(START);
    expect(asked).toEqual([]);
  });

  it('a date: that date when earlier than the start date, else the start date; no call', async () => {
    const { client, asked } = clientWith([]);
    const since = (setting: string) => leadSnapshotSince({ setting, startDate: START, client, logger });
    expect(await since('2024-03-01T00:00:00Z')).toBe('2024-03-01T00:00:00Z');
    expect(await since('2025-06-01T00:00:00Z')).toBe(START);
    expect(asked).toEqual([]);
  });

  it('earliest: the oldest createdAt of lead ids 1-300, in one leads.json call', async () => {
    const { client, asked } = clientWith([
      { id: 7, createdAt: '2023-05-02T10:00:00Z' },
      { id: 3, createdAt: '2023-04-30T08:15:00Z' },
      { id: 9 },
    ]);
    expect(await leadSnapshotSince({ setting: 'earliest', startDate: START, client, logger })).toBe(
      '2023-04-30T08:15:00.000Z',
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ path: '/rest/v1/leads.json', filterType: 'id', fields: 'id,createdAt' });
    const ids = String(asked[0]!.filterValues).split(',').map(Number);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('earliest: the start date when none of ids 1-300 exists, or the oldest is not older', async () => {
    const none = clientWith([]);
    expect(await leadSnapshotSince({ setting: 'earliest', startDate: START, client: none.client, logger })).toBe(START);
    const newer = clientWith([{ id: 1, createdAt: '2025-02-01T00:00:00Z' }]);
    expect(await leadSnapshotSince({ setting: 'earliest', startDate: START, client: newer.client, logger })).toBe(
      START,
    );
  });
});
