import type { Admin } from 'kafkajs';

/** Where reading a topic starts: its beginning, its end, an offset, or the first record at or after an instant. */
export type StartPosition =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: number }
  | { kind: 'timestamp'; ms: number };

/** Partition (as a string) → offset. */
export type PartitionOffsets = Record<string, number>;

/**
 * Reads `beginning`, `end`, an offset (`1234`) or an ISO-8601 instant (`2026-11-01T00:00:00Z`).
 * Throws RangeError saying what it accepts.
 */
export function parseStartPosition(text: string): StartPosition {
  const t = text.trim();
  if (t === 'beginning') return { kind: 'beginning' };
  if (t === 'end') return { kind: 'end' };
  if (/^\d+$/.test(t) && Number.isSafeInteger(Number(t))) return { kind: 'offset', offset: Number(t) };
  const ms = Date.parse(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t) && Number.isFinite(ms)) return { kind: 'timestamp', ms };
  throw new RangeError(`must be beginning, end, an offset or an ISO-8601 timestamp, got '${text}'`);
}

/**
 * The first offset to read in each partition of `topic` (or only in `partitions`) for `from`:
 * an offset is clamped into what the partition holds; a timestamp resolves through ListOffsets
 * (offsetsForTimes), and to the partition's end when no record is that recent.
 */
export async function resolveStartOffsets(
  admin: Admin,
  topic: string,
  from: StartPosition,
  partitions?: readonly number[],
): Promise<PartitionOffsets> {
  const bounds = await admin.fetchTopicOffsets(topic);
  const wanted = (p: number) => partitions === undefined || partitions.includes(p);
  const byTime =
    from.kind === 'timestamp'
      ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, from.ms)).map((o) => [o.partition, Number(o.offset)]))
      : undefined;
  const out: PartitionOffsets = {};
  for (const { partition, low, high } of bounds) {
    if (!wanted(partition)) continue;
    const lo = Number(low);
    const hi = Number(high);
    const offset =
      from.kind === 'beginning'
        ? lo
        : from.kind === 'end'
          ? hi
          : from.kind === 'offset'
            ? Math.min(Math.max(from.offset, lo), hi)
            : (byTime?.get(partition) ?? hi);
    out[String(partition)] = offset;
  }
  return out;
}

/**
 * Where a read_committed reader of `topic` ends now: the last stable offset of each partition (or of
 * `partitions` only).
 */
export async function endOffsets(
  admin: Admin,
  topic: string,
  partitions?: readonly number[],
): Promise<PartitionOffsets> {
  const out: PartitionOffsets = {};
  for (const { partition, offset } of await admin.fetchTopicOffsets(topic)) {
    if (partitions === undefined || partitions.includes(partition)) out[String(partition)] = Number(offset);
  }
  return out;
}
