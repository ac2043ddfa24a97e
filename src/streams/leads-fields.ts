import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { MarketoLeadField } from '../marketo/types.ts';

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Up to `max` of `names` closest to `wanted` (case-insensitive Levenshtein, ties by name), keeping
 * only plausible ones: a case-only difference, a containment, or a distance within a third of the
 * longer name (at least 2).
 */
export function closestNames(wanted: string, names: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((name) => {
      const n = name.toLowerCase();
      const d = n === w ? 0 : n.includes(w) || w.includes(n) ? 1 : editDistance(w, n);
      return { name, d, limit: Math.max(2, Math.floor(Math.max(w.length, n.length) / 3)) };
    })
    .filter((c) => c.d <= c.limit)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((c) => c.name);
}

/**
 * Checks the configured lead fields (REST names) against `leads/describe2.json`'s fields. An
 * unknown name is a CONFIG_INVALID error (field `leadFields`) naming it and the closest existing
 * names, since Marketo would refuse the whole leads.json call with 1006.
 */
export function checkLeadFields(configured: readonly string[], described: readonly MarketoLeadField[]): void {
  const known = new Set(described.map((f) => f.name));
  const names = [...known];
  const problems = configured
    .filter((name) => !known.has(name))
    .map((name) => {
      const near = closestNames(name, names);
      return near.length > 0 ? `"${name}" (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : `"${name}"`;
    });
  if (problems.length > 0) {
    throw new MarketoStreamError(
      ErrorCodes.CONFIG_INVALID,
      `leadFields: unknown lead field(s) on this instance (leads/describe2.json): ${problems.join('; ')}`,
      { field: 'leadFields' },
    );
  }
}
