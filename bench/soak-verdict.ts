/**
 * The soak's comparison of the activities topic with the simulator's ground truth. A late arrival
 * is caught for certain only when it is shown at most `catchWindowMs` after its date (the look-back
 * window minus its period, docs/architecture.md "Late arrivals and the look-back"); one shown later
 * and not published is a limit of the design, counted apart from `missing`, never dropped.
 */

/** One activity of the ground truth: its marketoGUID, activityDate and when Marketo showed it (epoch ms). */
export interface TruthActivity {
  guid: string;
  date: number;
  visibleAt: number;
}

/** What the soak reports about the activities topic. */
export interface SoakVerdict {
  /** Activities in the ground truth. */
  records: number;
  /** Ids published more than once. */
  duplicates: string[];
  /** Ground-truth activities not published that the service had to catch. */
  missing: string[];
  /** Ground-truth activities not published, shown later than the catch window after their date. */
  beyondCatchWindow: string[];
  /** Published ids the ground truth does not hold (a wrong identity, or a truth window unlike the service's). */
  unexpected: string[];
  /** Ground-truth activities shown after their date, and how many of them were published. */
  lateArrivals: number;
  lateArrivalsPublished: number;
}

/** Compares the published activity ids (in topic order, repeats included) with the ground truth. */
export function judgeSoak(
  published: readonly string[],
  truth: Iterable<TruthActivity>,
  catchWindowMs: number,
): SoakVerdict {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of published) (seen.has(id) ? duplicates : seen).add(id);
  const truthIds = new Set<string>();
  const verdict: SoakVerdict = {
    records: 0,
    duplicates: [...duplicates],
    missing: [],
    beyondCatchWindow: [],
    unexpected: [],
    lateArrivals: 0,
    lateArrivalsPublished: 0,
  };
  for (const a of truth) {
    verdict.records++;
    truthIds.add(a.guid);
    const late = a.visibleAt > a.date;
    const got = seen.has(a.guid);
    if (late) verdict.lateArrivals++;
    if (late && got) verdict.lateArrivalsPublished++;
    if (got) continue;
    (a.visibleAt - a.date > catchWindowMs ? verdict.beyondCatchWindow : verdict.missing).push(a.guid);
  }
  verdict.unexpected = [...seen].filter((id) => !truthIds.has(id));
  return verdict;
}
