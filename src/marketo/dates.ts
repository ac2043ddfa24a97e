// Marketo writes instants three ways: `…Z` (activities, bulk CSV), `…+0000` (lead changes, deleted
// leads) and `…Z+0000` (asset APIs), with or without fractional seconds.
const MARKETO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z)?(?:([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Milliseconds since the epoch of a Marketo timestamp (`…Z`, `…+0000`, `…+00:00`, `…Z+0000`, with or
 * without milliseconds). Throws a RangeError naming the input when it has no zone or is not a date.
 */
export function parseMarketoDate(s: string): number {
  const m = MARKETO_DATE.exec(s.trim());
  if (!m || (m[8] === undefined && m[9] === undefined)) {
    throw new RangeError(`not a Marketo timestamp with a zone: ${JSON.stringify(s)}`);
  }
  const [, y, mo, d, h, mi, sec, frac, , sign, oh, om] = m;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  // `Z+0000` carries both; the explicit offset (always zero in practice) decides.
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const t = wall - offsetMin * 60_000;
  // Date.UTC rolls over impossible dates (Feb 30); reject them instead.
  const check = new Date(wall);
  if (
    Number.isNaN(t) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 59
  ) {
    throw new RangeError(`not a valid Marketo timestamp: ${JSON.stringify(s)}`);
  }
  return t;
}

/**
 * The form Marketo accepts in query parameters (`sinceDatetime`, `earliestUpdatedAt`, …): UTC,
 * whole seconds, `Z` (the asset APIs reject milliseconds). Accepts epoch ms or any parseable string.
 */
export function formatMarketoDate(at: number | string | Date): string {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? parseMarketoDateLoose(at) : at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a date: ${JSON.stringify(at)}`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseMarketoDateLoose(s: string): number {
  try {
    return parseMarketoDate(s);
  } catch {
    return Date.parse(s);
  }
}
