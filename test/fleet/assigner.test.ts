import type { GroupMember } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  balanceConnections,
  connectionAssigner,
  decodeAssignment,
  encodeMemberMetadata,
  type MemberLoad,
} from '../../src/fleet/assigner.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, '0')}`);
const counts = (a: Map<string, string[]>) => [...a.values()].map((l) => l.length);
const spread = (a: Map<string, string[]>) => Math.max(...counts(a)) - Math.min(...counts(a));

/** Every connection exactly once across members. */
function expectPartition(a: Map<string, string[]>, connections: string[]) {
  expect([...a.values()].flat().sort()).toEqual([...connections].sort());
}

describe('balanceConnections', () => {
  it.each([
    [6, 2],
    [6, 3],
    [7, 3],
    [200, 3],
    [200, 4],
    [2, 5],
  ])('%i connections on %i fresh workers: each gets floor or ceil', (n, w) => {
    const members: MemberLoad[] = ids(w).map((m) => ({ memberId: `w-${m}`, owned: [] }));
    const a = balanceConnections(members, ids(n));
    expectPartition(a, ids(n));
    expect(spread(a)).toBeLessThanOrEqual(1);
    for (const c of counts(a)) expect([Math.floor(n / w), Math.ceil(n / w)]).toContain(c);
  });

  it('a joining worker takes only the surplus: the others keep what they run', () => {
    const first = balanceConnections(
      [
        { memberId: 'a', owned: [] },
        { memberId: 'b', owned: [] },
      ],
      ids(6),
    );
    const next = balanceConnections(
      [
        { memberId: 'a', owned: first.get('a')! },
        { memberId: 'b', owned: first.get('b')! },
        { memberId: 'c', owned: [] },
      ],
      ids(6),
    );
    expectPartition(next, ids(6));
    expect(counts(next)).toEqual([2, 2, 2]);
    for (const m of ['a', 'b']) for (const id of next.get(m)!) expect(first.get(m)).toContain(id);
  });

  it("a departed worker's connections spread over the rest; removed ones go, a doubly claimed one goes to one member", () => {
    const a = balanceConnections(
      [
        { memberId: 'a', owned: ['c000', 'c001', 'gone'] },
        { memberId: 'b', owned: ['c001', 'c002'] },
      ],
      ids(6),
    );
    expectPartition(a, ids(6));
    expect(spread(a)).toBe(0);
    expect(a.get('a')).toEqual(expect.arrayContaining(['c000', 'c001']));
    expect(a.get('b')).toContain('c002');
  });

  it('no members, no assignment; no connections, empty lists', () => {
    expect(balanceConnections([], ids(3)).size).toBe(0);
    expect(counts(balanceConnections([{ memberId: 'a', owned: ['x'] }], []))).toEqual([0]);
  });
});

describe('connectionAssigner', () => {
  it('reads what members run from their metadata and hands each its connections in userData', async () => {
    const assigner = connectionAssigner({ connections: () => ids(4), owned: () => [] })({} as never);
    const members: GroupMember[] = [
      { memberId: 'a', memberMetadata: encodeMemberMetadata(['t'], ['c003']) },
      { memberId: 'b', memberMetadata: encodeMemberMetadata(['t'], []) },
    ];
    const result = await assigner.assign({ members, topics: ['t'] });
    const byMember = new Map(result.map((r) => [r.memberId, decodeAssignment(r.memberAssignment)]));
    expect(byMember.get('a')).toContain('c003');
    expect([...byMember.values()].flatMap((l) => l ?? []).sort()).toEqual(ids(4));
    expect(byMember.get('a')).toHaveLength(2);
  });

  it('a foreign assignment decodes as none', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toBeUndefined();
    expect(decodeAssignment(Buffer.from('garbage'))).toBeUndefined();
  });
});
