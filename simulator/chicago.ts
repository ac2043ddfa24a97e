/**
 * Marketo's daily counters (API quota, bulk export bytes) reset at midnight US Central time.
 * The Central calendar date is computed with Intl and the IANA zone, so daylight saving is handled.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

let memo = { zone: '', minute: Number.NaN, date: '' };

/** The calendar date (YYYY-MM-DD) at `ms` in `timeZone` (default America/Chicago). */
export function zonedDate(ms: number, timeZone = 'America/Chicago'): string {
  // Memoised per minute: every counted call asks, and zone offsets only change on whole minutes.
  const minute = Math.floor(ms / 60_000);
  if (memo.zone === timeZone && memo.minute === minute) return memo.date;
  const date = formatDate(ms, timeZone);
  memo = { zone: timeZone, minute, date };
  return date;
}

function formatDate(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f.format(ms);
}

/** The first instant (epoch ms, minute precision) after `ms` at which `zonedDate` changes. */
export function nextZonedMidnight(ms: number, timeZone = 'America/Chicago'): number {
  const today = zonedDate(ms, timeZone);
  // Midnight is 22..27 h away at most (23 h / 25 h days at DST changes): scan hours, then minutes.
  let lo = ms;
  let hi = ms + 27 * 3600_000;
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (formatDate(mid, timeZone) === today) lo = mid;
    else hi = mid;
  }
  return Math.floor(hi / 60_000) * 60_000;
}
