import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import {
  activityGroupName,
  closestNames,
  parseActivityGroupName,
  planActivityGroups,
  resolveActivityTypes,
} from '../../src/streams/activity-groups.ts';

const available = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `Type ${i + 1}` }));

describe('activity groups', () => {
  it('resolves names (any case) and ids, and names the unknown ones', () => {
    expect(resolveActivityTypes(['type 3', 1, 'Type 2', 3], available)).toEqual([1, 2, 3]);
    expect(() => resolveActivityTypes(['Type 1', 'Visit Web Page', 99], available)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE,
        field: 'activityTypes',
        message: expect.stringMatching(/Visit Web Page \(closest: [^)]+\); 99$/),
      }),
    );
  });

  it('a configured type the instance lacks fails naming it and the closest existing names', () => {
    const instance = [
      { id: 6, name: 'Send Email' },
      { id: 2, name: 'Fill Out Form' },
      { id: 52, name: 'Send Sales Email' },
      { id: 10, name: 'Open Email' },
    ];
    expect(() => resolveActivityTypes(['Fill Out Form', 'Send Sales Emial'], instance)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE,
        retriable: false,
        message: expect.stringMatching(/Send Sales Emial \(closest: Send Sales Email, Send Email, /),
      }),
    );
    expect(closestNames('fill out from', ['Open Email', 'Fill Out Form', 'Send Email'], 1)).toEqual(['Fill Out Form']);
  });

  it('a default type the instance lacks is skipped, reported once, the rest resolved', () => {
    const skipped: string[][] = [];
    const ids = resolveActivityTypes(['Type 1', 'Dialogue Goal Reached', 'Type 2', 'Share Content'], available, {
      defaulted: true,
      onSkipped: (missing) => skipped.push(missing),
    });
    expect(ids).toEqual([1, 2]);
    expect(skipped).toEqual([['Dialogue Goal Reached', 'Share Content']]);
    // The same list configured explicitly fails.
    expect(() => resolveActivityTypes(['Type 1', 'Dialogue Goal Reached'], available)).toThrow(/Dialogue Goal Reached/);
  });

  it('groups at most ten types per call', () => {
    const groups = planActivityGroups(
      available.slice(0, 23).map((t) => t.id),
      [],
    );
    expect(groups.map((g) => g.request.length)).toEqual([10, 10, 3]);
    expect(groups.flatMap((g) => g.request)).toEqual(available.slice(0, 23).map((t) => t.id));
  });

  it('keeps existing groups and gives a type added later a group of its own', () => {
    const existing = [[1, 2, 3]];
    const groups = planActivityGroups([1, 2, 3, 7], existing);
    expect(groups).toEqual([
      { ids: [1, 2, 3], request: [1, 2, 3] },
      { ids: [7], request: [7] },
    ]);
  });

  it('drops an untracked type from its group but keeps the group identity (its cursor)', () => {
    expect(planActivityGroups([1, 3], [[1, 2, 3]])).toEqual([{ ids: [1, 2, 3], request: [1, 3] }]);
    expect(planActivityGroups([5], [[1, 2, 3]])).toEqual([{ ids: [5], request: [5] }]);
  });

  it('round-trips group names', () => {
    expect(parseActivityGroupName(activityGroupName([6, 10, 12]))).toEqual([6, 10, 12]);
    expect(parseActivityGroupName('leads.changes')).toBeUndefined();
  });
});
