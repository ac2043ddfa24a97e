import { describe, expect, it } from 'vitest';
import { type BackfillSpend, formatBackfillSpend, type PhaseSpend } from '../../../scripts/demo/backfill-summary.ts';

const none: PhaseSpend = { streams: 0, bulkWindows: 0, restWindows: 0, calls: 0, exportedMb: 0, refused: false };

describe('formatBackfillSpend', () => {
  it('says what the activity groups and the lead snapshot spent, and the total of both', () => {
    const spend: BackfillSpend = {
      activities: {
        ...none,
        streams: 2,
        bulkWindows: 12,
        restWindows: 1,
        calls: 75,
        exportedMb: 40.25,
        handoverAt: '2026-11-30T00:00:00Z',
      },
      leads: { ...none, streams: 1, bulkWindows: 6, calls: 31, exportedMb: 1.5, handoverAt: '2026-11-30T00:00:00Z' },
    };
    expect(formatBackfillSpend(spend, 'auto', 1234)).toBe(
      'Backfill (auto) before 2026-11-30: activities (2 group(s)): 12 window(s) through Bulk Extract and 1 through REST, 75 calls, 40.3 MB; ' +
        'lead snapshot: 6 window(s) through Bulk Extract and 0 through REST, 31 calls, 1.5 MB. ' +
        'In all 106 calls and 41.8 MB of the export budget; REST from there on; 1,234 Marketo calls in all.',
    );
  });

  it('names a refused filter, and a REST-only backfill', () => {
    const refused: BackfillSpend = {
      activities: none,
      leads: { ...none, streams: 1, restWindows: 3, calls: 9, refused: true, handoverAt: '2026-11-30T00:00:00Z' },
    };
    expect(formatBackfillSpend(refused, 'bulk', 9)).toContain(
      'lead snapshot: 0 window(s) through Bulk Extract and 3 through REST (Marketo refused the export filter: 1035), 9 calls',
    );
    expect(formatBackfillSpend({ activities: none, leads: none }, 'rest', 500)).toBe(
      'Backfill (rest): REST paging only, 500 Marketo calls in all.',
    );
  });
});
