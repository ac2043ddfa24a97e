/** A stream's committed cursor as operators read it (status table, metrics). */
export interface StreamView {
  stream: string;
  phase: string;
  /** Checkpoint sequence: one more per committed page. */
  seq: number;
  /** Records committed to the stream's topic, from the cursor (absent in cursors older than the counter). */
  published?: number;
  /** Where the stream stands, in words (window, paging date, offsets). */
  position: string;
  /** The newest record date the stream has reached (ISO), when its cursor has one. */
  newestDate?: string;
  /**
   * Seconds the stream is behind now: during the backfill, how far its newest date lies in the past;
   * once incremental, the time since its last commit (every pass commits at least one page).
   */
  lagSeconds: number;
  /** ISO instant of the last commit. */
  updatedAt: string;
}

import { parseMarketoDate } from '../marketo/index.ts';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Epoch ms of a Marketo or ISO date, NaN when it is neither. */
function timeOf(date: string): number {
  try {
    return parseMarketoDate(date);
  } catch {
    return Number.NaN;
  }
}

function position(c: Record<string, unknown>): string {
  const parts: string[] = [];
  const window = text(c.window);
  if (window) parts.push(`window ${window}`);
  const since = text(c.sinceDate) ?? text(c.updatedSince);
  if (since) parts.push(`since ${since}`);
  if (typeof c.offset === 'number' && c.offset > 0) parts.push(`offset ${c.offset}`);
  if (c.offsets && typeof c.offsets === 'object') {
    const offsets = Object.entries(c.offsets as Record<string, number>).map(([p, o]) => `${p}:${o}`);
    parts.push(`offsets ${offsets.join(' ') || '-'}`);
  }
  if (text(c.nextPageToken)) parts.push('mid-page-run');
  return parts.join(', ') || '-';
}

/**
 * Describes a stored cursor (the JSON the runner commits) for operators. Reads only the fields the
 * README documents (`phase`, `seq`, `updatedAt`, `window`, `sinceDate`, `maxActivityDate`,
 * `updatedSince`, `offset`, `offsets`, `nextPageToken`), so it works for every stream kind.
 */
export function viewCursor(stream: string, cursor: Record<string, unknown>, now: number): StreamView {
  const updatedAt = text(cursor.updatedAt) ?? new Date(0).toISOString();
  const phase = text(cursor.phase) ?? 'unknown';
  const newestDate = text(cursor.maxActivityDate) ?? text(cursor.updatedSince);
  const newest = newestDate === undefined ? Number.NaN : timeOf(newestDate);
  const reached = phase === 'incremental' || Number.isNaN(newest) ? Date.parse(updatedAt) : newest;
  const view: StreamView = {
    stream,
    phase,
    seq: typeof cursor.seq === 'number' ? cursor.seq : 0,
    position: position(cursor),
    lagSeconds: Number.isFinite(reached) ? Math.max(0, Math.round((now - reached) / 1000)) : 0,
    updatedAt,
  };
  if (!Number.isNaN(newest)) view.newestDate = new Date(newest).toISOString();
  if (typeof cursor.published === 'number') view.published = cursor.published;
  return view;
}
