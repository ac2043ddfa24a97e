import { describe, expect, it } from 'vitest';
import { mergedLeads, mergeIds } from '../../src/streams/leads-merged.ts';

describe('leads-merged', () => {
  it('reads Merge IDs as a JSON-array string, a bare number or a comma list', () => {
    expect(mergeIds('[123]')).toEqual([123]);
    expect(mergeIds('[12, 34]')).toEqual([12, 34]);
    expect(mergeIds('56,78')).toEqual([56, 78]);
    expect(mergeIds(90)).toEqual([90]);
    expect(mergeIds('')).toEqual([]);
    expect(mergeIds(null)).toEqual([]);
    expect(mergeIds('[abc, 0, -3, 1.5]')).toEqual([]);
  });

  it('reads every merged-away id of the other forms Marketo sends: an array, quoted ids, a single id text', () => {
    expect(mergeIds([123, 456])).toEqual([123, 456]);
    expect(mergeIds(['123', 456])).toEqual([123, 456]);
    expect(mergeIds('["123","456"]')).toEqual([123, 456]);
    expect(mergeIds('123')).toEqual([123]);
    expect(mergeIds(' 12 , 34 ')).toEqual([12, 34]);
    const activity = {
      marketoGUID: 'g-2',
      leadId: 1,
      activityDate: '2026-01-02T03:04:05Z',
      activityTypeId: 32,
      attributes: [{ name: 'Merge Ids', value: [5, 6] }],
    };
    expect(mergedLeads(activity as never).map((m) => m.leadId)).toEqual([5, 6]);
  });

  it('gives one merged lead per id, never the winner itself', () => {
    const activity = {
      marketoGUID: 'g-1',
      leadId: 7,
      activityDate: '2026-01-02T03:04:05Z',
      activityTypeId: 32,
      attributes: [
        { name: 'Merge IDs', value: '[3,7,9]' },
        { name: 'Merged in Sales', value: false },
      ],
    };
    expect(mergedLeads(activity)).toEqual([
      { marketoGUID: 'g-1', activityDate: '2026-01-02T03:04:05Z', leadId: 3, winnerId: 7 },
      { marketoGUID: 'g-1', activityDate: '2026-01-02T03:04:05Z', leadId: 9, winnerId: 7 },
    ]);
    expect(mergedLeads({ ...activity, attributes: [] })).toEqual([]);
  });
});
