import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { StatusSnapshot } from '../status/index.ts';
import { num } from './stream-progress.ts';
import type { TerminalBlock } from './terminal-block.ts';

/** How often the block is redrawn at most. */
const REDRAW_MS = 1_000;

/**
 * The progress block, for people: per connection, the calls left today on its
 * instance and how many streams are caught up; per stream, its phase, records, pages and the
 * newest date it has reached.
 */
export function formatProgressBlock(s: StatusSnapshot): string[] {
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

/** Options of {@link showProgressBlock}. */
export interface ProgressBlockOptions {
  /** Reads the state to show (the service's status snapshot). */
  read: () => Promise<StatusSnapshot>;
  block: TerminalBlock;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Keeps the progress block on the terminal until `signal` aborts: reads the state at most once a
 * second and redraws only when what it shows has changed (a service that waits for its next pass
 * writes nothing). Once stopped it draws the final state, which stays on the screen. Never throws:
 * a failed read skips one redraw. Resolves when it stops.
 */
export async function showProgressBlock(o: ProgressBlockOptions): Promise<void> {
  let shown = '';
  const redraw = async () => {
    try {
      const lines = formatProgressBlock(await o.read());
      const text = lines.join('\n');
      if (text !== shown) o.block.draw(lines);
      shown = text;
    } catch (err) {
      o.logger.debug({ err }, 'progress read failed');
    }
  };
  while (!o.signal.aborted) {
    await redraw();
    await o.clock.sleep(REDRAW_MS, o.signal).catch(() => {});
  }
  await redraw();
  o.block.release();
}
