import { AssignerProtocol, type GroupMember, type GroupMemberAssignment, type PartitionAssigner } from 'kafkajs';

/** The protocol name every worker of a fleet announces: members with another assigner cannot join. */
export const CONNECTION_ASSIGNER = 'marketo-stream-connections';
const VERSION = 1;

/** A member of the group as the leader sees it: its id and the connections it runs now. */
export interface MemberLoad {
  memberId: string;
  owned: readonly string[];
}

/**
 * Assigns `connections` to `members` balanced by count: every member gets ⌊N/W⌋ or ⌈N/W⌉. Sticky:
 * a member keeps the connections it already runs up to its share, so a rebalance moves only what
 * must move (a removed connection, a departed member's, or a surplus). Deterministic for the
 * same input. Returns member id → connection ids (sorted).
 */
export function balanceConnections(
  members: readonly MemberLoad[],
  connections: readonly string[],
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  if (members.length === 0) return result;
  const wanted = new Set(connections);
  const claimed = new Set<string>();
  // Who keeps what: a connection claimed by two members (a stale view) goes to the first in id order.
  const kept = new Map<string, string[]>();
  for (const m of [...members].sort((a, b) => a.memberId.localeCompare(b.memberId))) {
    const mine = [...new Set(m.owned)].filter((id) => wanted.has(id) && !claimed.has(id)).sort();
    for (const id of mine) claimed.add(id);
    kept.set(m.memberId, mine);
  }
  const base = Math.floor(wanted.size / members.length);
  let extra = wanted.size % members.length;
  // Members that already run the most get the larger shares, so fewer connections move.
  const byLoad = [...members].sort(
    (a, b) => kept.get(b.memberId)!.length - kept.get(a.memberId)!.length || a.memberId.localeCompare(b.memberId),
  );
  const share = new Map<string, number>();
  for (const m of byLoad) {
    const cap = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra -= 1;
    share.set(m.memberId, cap);
    result.set(m.memberId, kept.get(m.memberId)!.slice(0, cap));
  }
  const placed = new Set([...result.values()].flat());
  const free = [...wanted].filter((id) => !placed.has(id)).sort();
  for (const m of byLoad) {
    const list = result.get(m.memberId)!;
    while (list.length < share.get(m.memberId)! && free.length > 0) list.push(free.shift()!);
    list.sort();
  }
  return result;
}

/** What a member announces when it joins: the connections it runs (so the leader can keep them there). */
export function encodeMemberMetadata(topics: string[], owned: readonly string[]): Buffer {
  return AssignerProtocol.MemberMetadata.encode({
    version: VERSION,
    topics,
    userData: Buffer.from(JSON.stringify({ owned })),
  });
}

/** The connections a member announced (none when its metadata is not ours). */
export function decodeMemberMetadata(member: GroupMember): MemberLoad {
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
    const owned = (JSON.parse(decoded?.userData.toString() ?? '{}') as { owned?: unknown }).owned;
    return { memberId: member.memberId, owned: Array.isArray(owned) ? owned.filter((o) => typeof o === 'string') : [] };
  } catch {
    return { memberId: member.memberId, owned: [] };
  }
}

/** A member's assignment: no partitions (nobody consumes the topic through the group), its connections in userData. */
export function encodeAssignment(connections: readonly string[]): Buffer {
  return AssignerProtocol.MemberAssignment.encode({
    version: VERSION,
    assignment: {},
    userData: Buffer.from(JSON.stringify({ connections })),
  });
}

/** The connection ids of an assignment made by {@link encodeAssignment}; undefined when it is not one. */
export function decodeAssignment(buffer: Buffer): string[] | undefined {
  if (buffer.length === 0) return undefined;
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    if (!decoded) return undefined;
    const connections = (JSON.parse(decoded.userData.toString()) as { connections?: unknown }).connections;
    return Array.isArray(connections) ? connections.filter((c): c is string => typeof c === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The kafkajs assigner of a fleet. Every member announces what it runs (`owned()`); the leader
 * assigns the ids `connections()` returns (the leader's view of the connections topic) with
 * {@link balanceConnections} and hands each member its list in the assignment's userData.
 */
export function connectionAssigner(o: {
  connections: () => readonly string[];
  owned: () => readonly string[];
  onAssigned?: (assignment: Map<string, string[]>) => void;
}): PartitionAssigner {
  return () => ({
    name: CONNECTION_ASSIGNER,
    version: VERSION,
    async assign({ members }): Promise<GroupMemberAssignment[]> {
      const assignment = balanceConnections(members.map(decodeMemberMetadata), o.connections());
      o.onAssigned?.(assignment);
      return [...assignment].map(([memberId, connections]) => ({
        memberId,
        memberAssignment: encodeAssignment(connections),
      }));
    },
    protocol({ topics }) {
      return { name: CONNECTION_ASSIGNER, metadata: encodeMemberMetadata(topics, o.owned()) };
    },
  });
}
