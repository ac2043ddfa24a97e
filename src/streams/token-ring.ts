/**
 * Paging tokens an activities stream held at earlier instants, so that a look-back pass re-reads
 * its window by continuing from the token held then instead of asking pagingtoken.json for a fresh
 * one (a call saved, and on an idle instance the re-read is the pass's only call).
 *
 * Marketo documents no lifetime for a nextPageToken and no rule against using one again; its
 * documented date-based token is a plain date (the example in its paging-token page decodes to
 * `2008-11-06T00:00:00.000+0000,0`). A token Marketo refuses falls back to a fresh token from the
 * entry's instant (`datedPage`), so nothing is skipped when a token has aged out.
 */
export interface HeldToken {
  /**
   * An instant no earlier than where the token stands: the token came from pagingtoken.json for
   * this date, or it was returned by the page that caught up, fetched at this instant (Marketo had
   * shown nothing newer). A re-read from the token covers at least everything dated from `at` on.
   */
  at: string;
  token: string;
}

/** Older entries are thinned to one per this much: a re-read from one starts at most this much before its window. */
export const RING_GRAIN_MS = 3_600_000;

/** How long entries are kept and how finely, for a stream whose look-backs re-read at most `widestMs`. */
export interface RingShape {
  /** The regular look-back window: entries up to this old (plus a grain) are all kept. */
  fineMs: number;
  /** The widest window a pass re-reads: entries up to this old (plus two grains) are kept. */
  widestMs: number;
}

const ms = (iso: string) => Date.parse(iso);

/**
 * `ring` with `entry` added at `now`: entries older than the widest window (and two grains) are
 * dropped; entries older than the regular window (and a grain) are thinned to one per grain, so
 * the ring stays at a few dozen entries whatever the pass interval.
 */
export function rememberToken(
  ring: readonly HeldToken[] | undefined,
  entry: HeldToken,
  now: number,
  shape: RingShape,
): HeldToken[] {
  const all = [...(ring ?? []).filter((e) => e.token !== entry.token), entry].sort((a, b) => ms(a.at) - ms(b.at));
  const oldest = now - shape.widestMs - 2 * RING_GRAIN_MS;
  const fineFrom = now - shape.fineMs - RING_GRAIN_MS;
  const kept: HeldToken[] = [];
  for (const e of all) {
    const at = ms(e.at);
    if (at < oldest) continue;
    const last = kept.at(-1);
    if (at < fineFrom && last && at - ms(last.at) < RING_GRAIN_MS) continue;
    kept.push(e);
  }
  return kept;
}

/**
 * The token to re-read from `sinceMs` on: the newest entry at or before it and at most a grain
 * before it, so the re-read covers the whole window and stays within the de-duplication memory
 * (see {@link RING_GRAIN_MS}). Undefined when the ring holds none (a fresh token is asked for).
 */
export function tokenFrom(ring: readonly HeldToken[] | undefined, sinceMs: number): HeldToken | undefined {
  let best: HeldToken | undefined;
  for (const e of ring ?? []) {
    const at = ms(e.at);
    if (at <= sinceMs && at >= sinceMs - RING_GRAIN_MS && (!best || at > ms(best.at))) best = e;
  }
  return best;
}
