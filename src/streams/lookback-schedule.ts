import { effectiveLookbackMs } from './pass-start.ts';

/**
 * When an incremental pass re-reads the past. Most passes only continue from the token Marketo
 * returned when the last pass caught up (a tail pass); every `everyMs` a pass re-reads `lookbackMs`
 * (activities shown minutes late), and every `deepEveryMs` it re-reads `deepLookbackMs` (hours late).
 */
export interface LookbackSchedule {
  /** The regular look-back window (ms). */
  lookbackMs: number;
  /** How often the regular window is re-read (ms); 0: every pass. */
  everyMs: number;
  /** The deep look-back window (ms); 0: no deep look-back. */
  deepLookbackMs: number;
  /** How often the deep window is re-read (ms). */
  deepEveryMs: number;
}

/** What a pass reads: only what is new (`tail`), or the regular or deep look-back window too. */
export type PassKind = 'tail' | 'lookback' | 'deep';

/**
 * The kind of the pass beginning at `now`, from when the last regular and deep look-backs began.
 * A deep look-back also stands for a regular one. Without a held token a tail pass starts from a
 * fresh token one second behind where the last pass reached, which reads what is new just as well.
 */
export function passKind(s: LookbackSchedule, now: number, lastLookbackAt: number, lastDeepAt: number): PassKind {
  if (s.deepLookbackMs > 0 && now - lastDeepAt >= s.deepEveryMs) return 'deep';
  if (now - lastLookbackAt >= s.everyMs) return 'lookback';
  return 'tail';
}

/** How far behind where the last pass reached a pass of `kind` starts (ms). */
export function windowOf(s: LookbackSchedule, kind: PassKind): number {
  if (kind === 'deep') return Math.max(s.deepLookbackMs, effectiveLookbackMs(s.lookbackMs));
  return kind === 'lookback' ? effectiveLookbackMs(s.lookbackMs) : effectiveLookbackMs(0);
}

/**
 * How long behind the newest event time published ids must be remembered so that any re-read
 * recognises them: the widest window a pass may re-read.
 */
export function dedupeWindowMs(s: LookbackSchedule): number {
  return windowOf(s, s.deepLookbackMs > 0 ? 'deep' : 'lookback');
}
