import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** Marketo's limit of activity types per activities.json call. */
export const MAX_TYPES_PER_CALL = 10;

/** An activity type as listed by activities/types.json (only what grouping needs). */
export interface NamedActivityType {
  id: number;
  name: string;
}

/** Options of {@link resolveActivityTypes}. */
export interface ResolveOptions {
  /**
   * The list is the built-in default, not the operator's: a type the instance lacks (it depends on
   * a feature the customer may not have, e.g. Sales Insight) is skipped, not an error.
   */
  defaulted?: boolean;
  /** Told the default types the instance lacks (once per call, when there are any). */
  onSkipped?: (missing: string[]) => void;
}

/**
 * Resolves tracked activity types (names or ids) against the instance's types. An unknown entry
 * the operator configured is an error naming it and the closest existing names, since a misspelt
 * type would silently pull nothing; an unknown default is skipped (see `defaulted`).
 */
export function resolveActivityTypes(
  tracked: readonly (string | number)[],
  available: readonly NamedActivityType[],
  options: ResolveOptions = {},
): number[] {
  const byName = new Map(available.map((t) => [t.name.toLowerCase(), t.id]));
  const ids = new Set(available.map((t) => t.id));
  const unknown: string[] = [];
  const resolved = new Set<number>();
  for (const entry of tracked) {
    const id = typeof entry === 'number' ? (ids.has(entry) ? entry : undefined) : byName.get(entry.toLowerCase());
    if (id === undefined) unknown.push(String(entry));
    else resolved.add(id);
  }
  if (unknown.length > 0 && options.defaulted) options.onSkipped?.(unknown);
  else if (unknown.length > 0) {
    const names = available.map((t) => t.name);
    // An unknown id has no nearest name worth suggesting; a name does.
    const described = unknown.map((u) =>
      /^\d+$/.test(u) ? u : `${u} (closest: ${closestNames(u, names).join(', ')})`,
    );
    throw new MarketoStreamError(
      ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE,
      `activityTypes: unknown activity type(s) on this instance: ${described.join('; ')}`,
      { field: 'activityTypes' },
    );
  }
  return [...resolved].sort((a, b) => a - b);
}

/** Edit distance between two strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Up to `n` of `candidates` nearest to `name` (case-insensitive edit distance), nearest first. */
export function closestNames(name: string, candidates: readonly string[], n = 3): string[] {
  const target = name.toLowerCase();
  return candidates
    .map((c) => ({ c, d: editDistance(target, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, n)
    .map((x) => x.c);
}

/** A group of activity types pulled by one call: `ids` names its cursor, `request` is what is asked for. */
export interface ActivityGroup {
  ids: number[];
  request: number[];
}

/**
 * Groups tracked type ids into calls of at most 10, keeping the groups that already have cursors,
 * so a type added later gets a group (and a backfill) of its own without re-pulling the others.
 * A type no longer tracked is dropped from its group; a group left empty disappears.
 */
export function planActivityGroups(
  tracked: readonly number[],
  existing: readonly (readonly number[])[],
): ActivityGroup[] {
  const wanted = new Set(tracked);
  const groups: ActivityGroup[] = [];
  const placed = new Set<number>();
  for (const group of existing) {
    const kept = group.filter((id) => wanted.has(id) && !placed.has(id));
    if (kept.length === 0) continue;
    for (const id of kept) placed.add(id);
    groups.push({ ids: [...group], request: kept });
  }
  const fresh = [...wanted].filter((id) => !placed.has(id)).sort((a, b) => a - b);
  for (let i = 0; i < fresh.length; i += MAX_TYPES_PER_CALL) {
    const ids = fresh.slice(i, i + MAX_TYPES_PER_CALL);
    groups.push({ ids, request: ids });
  }
  return groups;
}

/** The stream name of an activity group: stable for the group's lifetime. */
export function activityGroupName(group: readonly number[]): string {
  return `activities.${group.join('-')}`;
}

/** The group of a stream name made by activityGroupName, or undefined for other names. */
export function parseActivityGroupName(name: string): number[] | undefined {
  const m = /^activities\.(\d+(?:-\d+)*)$/.exec(name);
  return m ? m[1]!.split('-').map(Number) : undefined;
}
