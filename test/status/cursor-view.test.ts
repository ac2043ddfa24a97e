import { describe, expect, it } from 'vitest';
import { viewCursor } from '../../src/status/index.ts';

const now = Date.parse('2026-11-30T12:00:00Z');

describe('viewCursor', () => {
  it('a backfilling activities stream lags by the age of its newest activity', () => {
    const view = viewCursor(
      'activities.6-7',
      {
        seq: 40,
        phase: 'backfill',
        updatedAt: '2026-11-30T11:59:59Z',
        sinceDate: '2026-01-01T00:00:00Z',
        maxActivityDate: '2026-11-29T12:00:00Z',
        window: '2026-11',
        nextPageToken: 'TOKEN',
      },
      now,
    );
    expect(view).toEqual({
      stream: 'activities.6-7',
      phase: 'backfill',
      seq: 40,
      position: 'window 2026-11, since 2026-01-01T00:00:00Z, mid-page-run',
      newestDate: '2026-11-29T12:00:00.000Z',
      lagSeconds: 86_400,
      updatedAt: '2026-11-30T11:59:59Z',
    });
  });

  it('an incremental stream lags by the time since its last commit', () => {
    const view = viewCursor(
      'programs',
      {
        seq: 3,
        phase: 'incremental',
        updatedAt: '2026-11-30T11:55:00Z',
        updatedSince: '2026-11-30T11:00:00Z+0000',
        offset: 0,
      },
      now,
    );
    expect(view.lagSeconds).toBe(300);
    expect(view.newestDate).toBe('2026-11-30T11:00:00.000Z');
    expect(view.position).toBe('since 2026-11-30T11:00:00Z+0000');
  });

  it('a stream positioned by offsets shows them', () => {
    const view = viewCursor(
      'leads.by-activity',
      { seq: 9, phase: 'backfill', updatedAt: '2026-11-30T11:59:00Z', offsets: { '0': 12, '1': 40 } },
      now,
    );
    expect(view.position).toBe('offsets 0:12 1:40');
    expect(view.newestDate).toBeUndefined();
    expect(view.lagSeconds).toBe(60);
  });
});
