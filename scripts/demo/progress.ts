import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { CursorStore } from '../../src/cursor/index.ts';
import type { Logger } from '../../src/log.ts';
import { num, type StreamProgress, streamProgress } from '../../src/progress/index.ts';

export { num, type StreamProgress, streamProgress };

/** What the demo knows about a running backfill at one moment. */
export interface ProgressSnapshot {
  elapsedMs: number;
  /** Marketo calls the simulator counted so far. */
  calls: number;
  /** Committed offsets in the data topics: records plus one transaction marker per partition and page. */
  offsets: number;
  streams: StreamProgress[];
}

/**
 * One line for a person: elapsed time, pages, records (exact when every stream's cursor counts
 * them; else approximate, from offsets, which include transaction markers), calls, streams caught
 * up, and per kind of stream (the name before the first dot) the oldest date its streams still in
 * backfill have reached.
 */
export function formatProgress(s: ProgressSnapshot): string {
  const pages = s.streams.reduce((n, st) => n + st.pages, 0);
  const counted = s.streams.length > 0 && s.streams.every((st) => st.records !== undefined);
  const records = counted ? num(s.streams.reduce((n, st) => n + (st.records ?? 0), 0)) : `~${num(s.offsets)}`;
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
    `${records} records`,
    `${num(s.calls)} calls`,
    s.streams.length > 0 && `${caughtUp} of ${s.streams.length} streams started caught up`,
    dates,
  ]
    .filter(Boolean)
    .join(' · ');
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
