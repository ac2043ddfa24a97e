/**
 * Marketo's date filters are inclusive and count whole seconds, so a pass that starts where the
 * last one reached reads that last second again: every incremental stream re-reads at least this
 * much, and recognises (by id) what it already published there.
 */
export const MIN_LOOKBACK_MS = 1_000;

/** The look-back a stream applies for a configured one: never less than {@link MIN_LOOKBACK_MS}. */
export function effectiveLookbackMs(configuredMs: number): number {
  return Math.max(configuredMs, MIN_LOOKBACK_MS);
}

/**
 * The one rule for where an incremental pass starts (epoch ms): one look-back behind the later of
 * when the last pass started and the newest record seen, never before `floor` (the stream's start).
 * Starting from the last pass keeps a stream with rare or no records from re-scanning back to its
 * last record (or its start date) every pass. Undefined for the first pass, which starts at the floor.
 */
export function passStart(o: {
  lastPassStart?: number;
  newestSeen?: number;
  floor: number;
  lookbackMs: number;
}): number | undefined {
  const reached = Math.max(o.lastPassStart ?? Number.NEGATIVE_INFINITY, o.newestSeen ?? Number.NEGATIVE_INFINITY);
  return Number.isFinite(reached) ? Math.max(reached - o.lookbackMs, o.floor) : undefined;
}
