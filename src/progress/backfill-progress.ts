import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { StatusSnapshot } from '../status/index.ts';
import { num } from './stream-progress.ts';
import type { TerminalBlock } from './terminal-block.ts';

/** How often the block is redrawn at most. */
const REDRAW_MS = 1_000;

/** True once every connection has committed streams and all of them are incremental. */
export function backfillDone(s: StatusSnapshot): boolean {
  return s.connections.every((c) => c.streams.length > 0 && c.streams.every((v) => v.phase === 'incremental'));
}

/**
 * The progress block of a backfill, for people: per connection, the calls left today on its
 * instance and how many streams are caught up; per stream, its phase, records, pages and the
 * newest date it has reached.
 */
export function formatBackfillProgress(s: StatusSnapshot): string[] {
  const lines: string[] = [];
  for (const c of s.connections) {
    const instance = s.instances.find((i) => i.instance === c.instance);
    const caughtUp = c.streams.filter((v) => v.phase === 'incremental').length;
    lines.push(
      [
        `${c.connection} (${c.instance})`,
        instance && `${num(instance.remaining)} calls left today${instance.paused ? ' (paused)' : ''}`,
        `${caughtUp} of ${c.streams.length} streams caught up`,
      ]
        .filter(Boolean)
        .join(' · '),
    );
    const width = Math.max(0, ...c.streams.map((v) => v.stream.length));
    for (const v of c.streams) {
      lines.push(
        [
          `  ${v.stream.padEnd(width)}`,
          (v.phase === 'incremental' ? 'caught up' : v.phase).padEnd(9),
          `${(v.published === undefined ? '-' : num(v.published)).padStart(9)} records`,
          `${num(v.seq).padStart(6)} pages`,
          v.newestDate ? `reached ${v.newestDate.slice(0, 10)}` : '',
        ].join('  '),
      );
    }
  }
  return lines.map((l) => l.trimEnd());
}

/** Options of {@link showBackfillProgress}. */
export interface BackfillProgressOptions {
  /** Reads the state to show (the service's status snapshot). */
  read: () => Promise<StatusSnapshot>;
  block: TerminalBlock;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Redraws the backfill's progress block at most once a second until every stream is caught up
 * (the last block then stays on the screen) or `signal` aborts. Never throws: a failed read skips
 * one redraw. Resolves when it stops.
 */
export async function showBackfillProgress(o: BackfillProgressOptions): Promise<void> {
  while (!o.signal.aborted) {
    try {
      const snapshot = await o.read();
      o.block.draw(formatBackfillProgress(snapshot));
      if (backfillDone(snapshot)) break;
    } catch (err) {
      o.logger.debug({ err }, 'progress read failed');
    }
    await o.clock.sleep(REDRAW_MS, o.signal).catch(() => {});
  }
  o.block.release();
}
