// Marketo writes instants three ways: `…Z` (activities, bulk CSV), `…+0000` (lead changes, deleted
// leads) and `…Z+0000` (asset APIs), with or without fractional seconds.
const MARKETO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z)?(?:([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Milliseconds since the epoch of a Marketo timestamp (`…Z`, `…+0000`, `…+00:00`, `…Z+0000`, with or
 * without milliseconds). Throws a RangeError naming the input when it has no zone or is not a date.
 */
export function parseMarketoDate(s: string): number {
  // Hot path (every activity): the canonical `YYYY-MM-DDTHH:MM:SSZ`, read without a regex.
  if (s.length === 20 && s.charCodeAt(19) === 90 /* Z */) {
    const t = parseCanonical(s);
    if (t !== undefined) return t;
  }
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

const digits = (s: string, at: number, n: number): number => {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
};
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DDTHH:MM:SSZ` → ms, undefined when it is not that shape (the regex path then decides). */
function parseCanonical(s: string): number | undefined {
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const monthDays = mo === 2 && leap ? 29 : (DAYS[mo - 1] ?? 0);
  if (!(mo >= 1 && d >= 1 && d <= monthDays && h <= 23 && mi <= 59 && sec <= 59)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, sec);
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
