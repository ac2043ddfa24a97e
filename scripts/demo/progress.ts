import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { CursorStore, type StoredCursor } from '../../src/cursor/index.ts';
import type { Logger } from '../../src/log.ts';

/** What the demo knows about a running backfill at one moment. */
export interface ProgressSnapshot {
  elapsedMs: number;
  /** Marketo calls the simulator counted so far. */
  calls: number;
  /** Committed offsets in the data topics: records plus one transaction marker per partition and page. */
  offsets: number;
  streams: StreamProgress[];
}

/** One stream's state, from its cursor as mirrored to Redis (`mkto:{<connection>}:cursor:<stream>`). */
export interface StreamProgress {
  name: string;
  /** Committed pages: a cursor's seq grows by one per page. */
  pages: number;
  caughtUp: boolean;
  /** The newest date the stream has reached (YYYY-MM-DD), when its cursor holds one. */
  reached?: string;
}

/** A stream's progress read from its cursor; tolerant of cursor shapes it does not know. */
export function streamProgress(name: string, cursor: StoredCursor): StreamProgress {
  const date = [cursor.maxActivityDate, cursor.updatedSince, cursor.sinceDate].find(
    (v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  );
  return { name, pages: cursor.seq, caughtUp: cursor.phase === 'incremental', reached: date?.slice(0, 10) };
}

/**
 * One line for a person: elapsed time, pages, records (approximate: offsets include transaction
 * markers), calls, streams caught up, and per kind of stream (the name before the first dot) the
 * oldest date its streams still in backfill have reached.
 */
export function formatProgress(s: ProgressSnapshot): string {
  const pages = s.streams.reduce((n, st) => n + st.pages, 0);
  const caughtUp = s.streams.filter((st) => st.caughtUp).length;
  const kinds = Map.groupBy(s.streams, (st) => st.name.split('.')[0] ?? st.name);
  const dates = [...kinds]
    .map(([kind, streams]) => {
      const behind = streams.filter((st) => !st.caughtUp);
      if (behind.length === 0) return `${kind} done`;
      // A kind is only as far as its slowest stream.
      const oldest = behind.map((st) => st.reached ?? '…').sort()[0];
      return `${kind} ${oldest}`;
    })
    .join(', ');
  return [
    `${(s.elapsedMs / 1000).toFixed(0).padStart(4)} s`,
    `${num(pages)} pages`,
    `~${num(s.offsets)} records`,
    `${num(s.calls)} calls`,
    s.streams.length > 0 && `${caughtUp} of ${s.streams.length} streams started caught up`,
    dates,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** A number with thousands separators. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

export interface WatchProgressOptions {
  redis: Redis;
  /** A connected admin client (the demo's; not the service's). */
  admin: Admin;
  logger: Logger;
  connection: string;
  dataTopics: readonly string[];
  calls: () => number;
  out: NodeJS.WriteStream;
  /** Off a terminal, one plain line per interval; on a terminal the line is redrawn every second. */
  intervalMs?: number;
}

/**
 * Shows the backfill's progress until the returned `stop` is called, reading only what the service
 * already writes: the Redis cursor mirror and the topics' offsets. Never throws: a failed read skips
 * one line.
 */
export function watchProgress(o: WatchProgressOptions): { stop: () => Promise<void> } {
  const started = performance.now();
  const tty = o.out.isTTY === true;
  const intervalMs = tty ? 1000 : (o.intervalMs ?? 5000);
  const cursors = new CursorStore({ redis: o.redis, logger: o.logger });
  let stopped = false;
  let wake: () => void = () => {};
  const snapshot = async (): Promise<ProgressSnapshot> => {
    const [stored, offsets] = await Promise.all([
      cursors.list(o.connection),
      Promise.all(o.dataTopics.map((t) => o.admin.fetchTopicOffsets(t))),
    ]);
    return {
      elapsedMs: performance.now() - started,
      calls: o.calls(),
      offsets: offsets.flat().reduce((n, p) => n + Number(p.offset), 0),
      streams: Object.entries(stored).map(([name, c]) => streamProgress(name, c)),
    };
  };
  const draw = async () => {
    try {
      const line = formatProgress(await snapshot());
      o.out.write(tty ? `\r\x1b[K  ${line.slice(0, (o.out.columns ?? 120) - 3)}` : `  ${line}\n`);
    } catch (err) {
      o.logger.debug({ err }, 'demo progress read failed');
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
      if (!stopped) await draw();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      await draw(); // the final state, so the last line is never stale
      if (tty) o.out.write('\n');
    },
  };
}
