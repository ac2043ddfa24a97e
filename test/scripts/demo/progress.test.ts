import { describe, expect, it } from 'vitest';
import { formatProgress, streamProgress } from '../../../scripts/demo/progress.ts';
import { runTotalsFromLog } from '../../../scripts/demo/service-process.ts';

describe('streamProgress', () => {
  it('takes pages from seq, the date reached from the cursor, caught up from its phase', () => {
    const cursor = {
      seq: 12,
      updatedAt: '2026-11-30T06:00:00Z',
      phase: 'backfill',
      sinceDate: '2026-06-01T00:00:00Z',
      maxActivityDate: '2026-08-14T10:00:00Z',
    };
    expect(streamProgress('activities.1-2', cursor)).toEqual({
      name: 'activities.1-2',
      pages: 12,
      caughtUp: false,
      reached: '2026-08-14',
    });
    expect(
      streamProgress('programs', { seq: 3, updatedAt: 'x', phase: 'incremental', updatedSince: 'not a date' }),
    ).toEqual({ name: 'programs', pages: 3, caughtUp: true, reached: undefined });
  });
});

describe('formatProgress', () => {
  it('sums pages and shows each kind of stream at its slowest stream still in backfill', () => {
    const line = formatProgress({
      elapsedMs: 12_400,
      calls: 1234,
      offsets: 25_331,
      streams: [
        { name: 'activities.1-2', pages: 40, caughtUp: false, reached: '2026-09-01' },
        { name: 'activities.3-4', pages: 30, caughtUp: false, reached: '2026-07-15' },
        { name: 'activities.5', pages: 5, caughtUp: true, reached: '2026-11-01' },
        { name: 'leads.changes', pages: 7, caughtUp: true },
        { name: 'programs', pages: 1, caughtUp: false },
      ],
    });
    expect(line).toBe(
      '  12 s · 83 pages · ~25,331 records · 1,234 calls · 2 of 5 streams started caught up · activities 2026-07-15, leads done, programs …',
    );
  });

  it('shows the exact record count once every stream counts its records', () => {
    const line = formatProgress({
      elapsedMs: 1000,
      calls: 10,
      offsets: 999,
      streams: [
        { name: 'activities.1', pages: 2, records: 1500, caughtUp: false, reached: '2026-09-01' },
        { name: 'programs', pages: 1, records: 40, caughtUp: true },
      ],
    });
    expect(line).toContain(' · 1,540 records · ');
  });

  it('leaves the streams out before any has committed a page', () => {
    expect(formatProgress({ elapsedMs: 5000, calls: 0, offsets: 0, streams: [] })).toBe(
      '   5 s · 0 pages · ~0 records · 0 calls',
    );
  });
});

describe('runTotalsFromLog', () => {
  it('sums the totals of every stopped connection worker and ignores other lines', () => {
    const log = [
      '{"level":30,"msg":"lease acquired"}',
      '{"level":30,"pages":90,"fetched":25000,"published":24000,"duplicates":3,"deadLettered":1,"msg":"connection worker stopped"}',
      'marketo-stream: a line that is not JSON',
      '{"level":30,"pages":3,"fetched":100,"published":100,"duplicates":0,"deadLettered":0,"msg":"connection worker stopped"}',
      '',
    ].join('\n');
    expect(runTotalsFromLog(log)).toEqual({ pages: 93, published: 24_100, duplicates: 3, deadLettered: 1 });
  });

  it('says nothing when no worker stopped', () => {
    expect(runTotalsFromLog('{"level":30,"msg":"lease acquired"}\n')).toBeUndefined();
  });
});
