import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { ErrorCodes } from '../../src/errors.ts';
import { configRejection, validEnv } from '../support/config-env.ts';

describe('bulk settings', () => {
  it('default to Marketo’s 500 MB a day, 50 MB left for other integrations, 2 jobs (as many as Marketo runs)', () => {
    expect(loadConfig(validEnv, undefined).bulk).toEqual({
      dailyMb: 500,
      reserveMb: 50,
      maxJobs: 2,
      pollMinSeconds: 60,
    });
  });

  it('are read from BULK_DAILY_MB, BULK_RESERVE_MB, BULK_MAX_JOBS and BULK_POLL_MIN_SECONDS', () => {
    const c = loadConfig(
      { ...validEnv, BULK_DAILY_MB: '2000', BULK_RESERVE_MB: '0', BULK_MAX_JOBS: '4', BULK_POLL_MIN_SECONDS: '5' },
      undefined,
    );
    expect(c.bulk).toEqual({ dailyMb: 2000, reserveMb: 0, maxJobs: 4, pollMinSeconds: 5 });
  });

  it('the backfill defaults to the planner (auto), 5% of the day’s calls for REST while exports are spent, 31-day windows, a snapshot of every lead', () => {
    expect(loadConfig(validEnv, undefined).backfill).toEqual({
      dailySplitThreshold: 100_000,
      method: 'auto',
      restShare: 0.05,
      windowDays: 31,
      leadSnapshotSince: 'earliest',
    });
    const c = loadConfig(
      { ...validEnv, BACKFILL_METHOD: 'bulk', BACKFILL_REST_SHARE: '0', BACKFILL_WINDOW_DAYS: '7' },
      undefined,
    );
    expect(c.backfill).toMatchObject({ method: 'bulk', restShare: 0, windowDays: 7 });
  });

  it('the lead snapshot begins at the oldest lead unless LEAD_SNAPSHOT_SINCE names `start-date` or a date', () => {
    expect(loadConfig(validEnv, undefined).backfill.leadSnapshotSince).toBe('earliest');
    expect(loadConfig({ ...validEnv, LEAD_SNAPSHOT_SINCE: 'start-date' }, undefined).backfill.leadSnapshotSince).toBe(
      'start-date',
    );
    expect(
      loadConfig({ ...validEnv, LEAD_SNAPSHOT_SINCE: '2024-01-01T00:00:00Z' }, undefined).backfill.leadSnapshotSince,
    ).toBe('2024-01-01T00:00:00Z');
  });

  it('name the variable that is wrong', () => {
    for (const [name, value, says] of [
      ['BULK_DAILY_MB', 'lots', 'BULK_DAILY_MB'],
      ['BULK_DAILY_MB', '0', 'BULK_DAILY_MB'],
      ['BULK_RESERVE_MB', '600', 'bulk.reserveMb (BULK_RESERVE_MB): must be less than dailyMb'],
      ['BULK_MAX_JOBS', '11', 'BULK_MAX_JOBS'],
      ['BULK_POLL_MIN_SECONDS', '0', 'BULK_POLL_MIN_SECONDS'],
      ['BACKFILL_METHOD', 'fast', 'BACKFILL_METHOD'],
      ['BACKFILL_REST_SHARE', '1.5', 'BACKFILL_REST_SHARE'],
      ['BACKFILL_REST_SHARE', 'some', 'BACKFILL_REST_SHARE'],
      ['BACKFILL_WINDOW_DAYS', '32', 'BACKFILL_WINDOW_DAYS'],
      [
        'LEAD_SNAPSHOT_SINCE',
        'soon',
        'backfill.leadSnapshotSince (LEAD_SNAPSHOT_SINCE): must be "earliest", "start-date" or',
      ],
    ] as const) {
      const err = configRejection({ ...validEnv, [name]: value });
      expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
      expect(err.message).toContain(says);
    }
  });
});
