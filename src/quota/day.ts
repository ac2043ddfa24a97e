/**
 * Marketo's daily quota resets at midnight US Central time. These helpers turn an instant into the
 * calendar date of a time zone and find the next local midnight, following daylight saving (so a
 * "day" lasts 23 h or 25 h on change days).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA with numeric parts gives YYYY-MM-DD; hourCycle h23 avoids "24:00" at midnight.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(nowMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(nowMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The calendar date (`YYYY-MM-DD`) of instant `nowMs` in `timeZone` (an IANA name). */
export function localDate(nowMs: number, timeZone: string): string {
  const w = wallTime(nowMs, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** Offset of `timeZone` from UTC at instant `t`, in ms (local wall time minus UTC). */
function offsetAt(t: number, timeZone: string): number {
  const w = wallTime(t, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The first instant (ms since epoch) strictly after `nowMs` whose local date in `timeZone` is the
 * next calendar day: the next local midnight, or the first instant of the day where a zone skips
 * midnight.
 */
export function nextMidnight(nowMs: number, timeZone: string): number {
  const w = wallTime(nowMs, timeZone);
  const target = Date.UTC(w.year, w.month - 1, w.day + 1);
  const targetDate = new Date(target).toISOString().slice(0, 10);
  // Wall midnight minus the offset in force then; a second pass settles a DST change in between.
  let guess = target - offsetAt(target, timeZone);
  guess = target - offsetAt(guess, timeZone);
  if (localDate(guess, timeZone) === targetDate && localDate(guess - 1, timeZone) < targetDate) return guess;
  // Zones that skip or repeat midnight: search for the first instant of the target date.
  let lo = nowMs;
  let hi = nowMs + 50 * 3600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, timeZone) >= targetDate) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The local date of an instant and the instant that date ends (its next local midnight). */
export interface LocalDay {
  date: string;
  resetAt: number;
}

/** Per time zone: the last day computed and the first instant it was computed for. */
const lastDays = new Map<string, LocalDay & { from: number }>();

/**
 * {@link localDate} and {@link nextMidnight} of `nowMs` together, remembered per zone: every
 * instant in [from, resetAt) has the same local date, so calls within one day (every Marketo call
 * asks) cost a comparison instead of a handful of Intl formatting calls.
 */
export function localDay(nowMs: number, timeZone: string): LocalDay {
  const last = lastDays.get(timeZone);
  if (last && nowMs >= last.from && nowMs < last.resetAt) return { date: last.date, resetAt: last.resetAt };
  const day = { date: localDate(nowMs, timeZone), resetAt: nextMidnight(nowMs, timeZone) };
  lastDays.set(timeZone, { ...day, from: nowMs });
  return day;
}
