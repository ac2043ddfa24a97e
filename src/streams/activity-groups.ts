import { ErrorCodes, MarketoStreamError } from '../errors.ts';

/** Marketo's limit of activity types per activities.json call. */
export const MAX_TYPES_PER_CALL = 10;

/** An activity type as listed by activities/types.json (only what grouping needs). */
export interface NamedActivityType {
  id: number;
  name: string;
}

/**
 * Resolves tracked activity types (names or ids) against the instance's types. Unknown entries are
 * an error naming them, since a misspelt type would silently pull nothing.
 */
export function resolveActivityTypes(
  tracked: readonly (string | number)[],
  available: readonly NamedActivityType[],
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
  if (unknown.length > 0) {
    throw new MarketoStreamError(
      ErrorCodes.CONFIG_UNKNOWN_ACTIVITY_TYPE,
      `activityTypes: unknown activity type(s) on this instance: ${unknown.join(', ')}`,
      { field: 'activityTypes' },
    );
  }
  return [...resolved].sort((a, b) => a - b);
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
