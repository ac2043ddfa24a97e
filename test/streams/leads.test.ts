import { describe, expect, it } from 'vitest';
import { LeadFetchLog } from '../../src/streams/leads.ts';

describe('LeadFetchLog', () => {
  it('a lead fetched and committed holds what happened before its fetch, for the retention', () => {
    const log = new LeadFetchLog(60_000);
    const lead = { id: 5 };
    log.fetched([lead], 1_000);
    expect(log.fetchedSince(5, 900)).toBe(false); // not committed yet
    log.committed([lead], 2_000);
    expect([log.fetchedSince(5, 900), log.fetchedSince(5, 1_000), log.fetchedSince(5, 1_001)]).toEqual([
      true,
      true,
      false,
    ]);
    log.committed([], 62_000);
    expect(log.fetchedSince(5, 900)).toBe(false);
  });

  it('a snapshot lead holds what happened before its export, for as long as the process runs', () => {
    const log = new LeadFetchLog(60_000);
    log.snapshotted([{ id: 9 }, { id: 10 }], 5_000);
    log.committed([], 10_000_000);
    expect([log.fetchedSince(9, 5_000), log.fetchedSince(10, 4_000), log.fetchedSince(9, 5_001)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(log.fetchedSince(11, 0)).toBe(false);
  });

  it('an id leads.json did not return (deleted or merged away) is never asked for again', () => {
    const log = new LeadFetchLog(60_000);
    log.notReturned([3, 4]);
    log.committed([], 10_000_000);
    expect([log.fetchedSince(3, Number.MAX_SAFE_INTEGER), log.fetchedSince(4, 0), log.fetchedSince(5, 0)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(log.goneCount).toBe(2);
  });
});
