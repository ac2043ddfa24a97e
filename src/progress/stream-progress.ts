import type { StoredCursor } from '../cursor/index.ts';

/** How far one stream has come, from its committed cursor (`mkto:{<connection>}:cursor:<stream>`). */
export interface StreamProgress {
  name: string;
  /** Committed pages: a cursor's seq grows by one per page. */
  pages: number;
  /** Records committed to the stream's topic, when the cursor counts them. */
  records?: number;
  caughtUp: boolean;
  /** The newest date the stream has reached (YYYY-MM-DD), when its cursor holds one. */
  reached?: string;
}

/** A stream's progress read from its cursor; tolerant of cursor shapes it does not know. */
export function streamProgress(name: string, cursor: StoredCursor): StreamProgress {
  const date = [cursor.maxActivityDate, cursor.updatedSince, cursor.sinceDate].find(
    (v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  );
  const progress: StreamProgress = {
    name,
    pages: cursor.seq,
    caughtUp: cursor.phase === 'incremental',
    reached: date?.slice(0, 10),
  };
  if (typeof cursor.published === 'number') progress.records = cursor.published;
  return progress;
}

/** A number with thousands separators. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}
