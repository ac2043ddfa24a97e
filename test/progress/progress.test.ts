import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { formatProgressBlock, showProgressBlock, TerminalBlock } from '../../src/progress/index.ts';
import type { StatusSnapshot, StreamView } from '../../src/status/index.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** A terminal that records what was written, and replays the erase sequences to tell what is on screen. */
function terminal(columns = 100) {
  const chunks: string[] = [];
  const out = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY: true, columns },
  );
  /** The screen's lines: each "erase line up" removes the last line written. */
  const screen = () => {
    const lines: string[] = [];
    chunks
      .join('')
      .split('\x1b[1A\x1b[2K')
      .forEach((part, i) => {
        if (i > 0) lines.pop();
        lines.push(...part.split('\n').slice(0, -1));
      });
    return lines;
  };
  return { out, chunks, screen };
}

const stream = (name: string, phase: string, seq: number, published?: number, newestDate?: string): StreamView => ({
  stream: name,
  phase,
  seq,
  position: '-',
  lagSeconds: 0,
  updatedAt: '2026-11-30T07:00:00.000Z',
  ...(published === undefined ? {} : { published }),
  ...(newestDate ? { newestDate } : {}),
});

const snapshot = (streams: StreamView[]): StatusSnapshot => ({
  at: '2026-11-30T07:00:00.000Z',
  instances: [
    {
      instance: '123-ABC-456',
      date: '2026-11-30',
      used: 1_000,
      limit: 50_000,
      reserve: 5_000,
      remaining: 44_000,
      resetsAt: '2026-12-01T06:00:00.000Z',
      paused: false,
      errors: { '606': 0, '607': 0, '615': 0 },
    },
  ],
  connections: [{ connection: 'acme', instance: '123-ABC-456', state: 'running', streams }],
});

describe('formatProgressBlock', () => {
  it('shows calls left, streams caught up, and per stream its phase, records, pages and the date reached', () => {
    const lines = formatProgressBlock(
      snapshot([
        stream('activities.1-2', 'backfill', 12, 23_456, '2026-08-14T10:00:00.000Z'),
        stream('programs', 'incremental', 3, 80),
        stream('leads.changes', 'backfill', 0),
      ]),
    );
    expect(lines).toEqual([
      'acme (123-ABC-456) · 44,000 calls left today · 1 of 3 streams caught up',
      '  activities.1-2  backfill      23,456 records      12 pages  reached 2026-08-14',
      '  programs        caught up         80 records       3 pages',
      '  leads.changes   backfill           - records       0 pages',
    ]);
  });
});

describe('TerminalBlock', () => {
  it('keeps its lines under the other output, redrawn in place, cut to the width', () => {
    const t = terminal(30);
    const block = new TerminalBlock(t.out);
    block.write('log 1\n');
    block.draw(['progress A', 'x'.repeat(50)]);
    expect(t.screen()).toEqual(['log 1', 'progress A', `${'x'.repeat(28)}…`]);
    block.write('log 2\n');
    block.draw(['progress B']);
    expect(t.screen()).toEqual(['log 1', 'log 2', 'progress B']);
    block.release();
    block.write('log 3\n');
    expect(t.screen()).toEqual(['log 1', 'log 2', 'progress B', 'log 3']);
  });

  it('gives the logger a terminal stream: pretty lines above the block', () => {
    const t = terminal();
    const block = new TerminalBlock(t.out);
    block.draw(['progress']);
    createLogger({ level: 'info', destination: block.stream() }).info('hello');
    const screen = t.screen();
    expect(screen.at(-1)).toBe('progress');
    expect(screen.at(-2)).toContain('hello');
    expect(() => JSON.parse(screen.at(-2)!)).toThrow();
  });
});

describe('showProgressBlock', () => {
  it('reads once a second, redraws only what changed, and draws the final state when stopped, left on screen', async () => {
    const clock = new FakeClock('2026-11-30T07:00:00Z');
    const t = terminal();
    const block = new TerminalBlock(t.out);
    const states = [
      snapshot([stream('a', 'backfill', 1, 10)]),
      snapshot([stream('a', 'backfill', 2, 20)]),
      snapshot([stream('a', 'backfill', 2, 20)]),
      snapshot([stream('a', 'incremental', 3, 30)]),
    ];
    const stop = new AbortController();
    const readAt: number[] = [];
    const done = showProgressBlock({
      read: async () => {
        readAt.push(clock.now());
        if (readAt.length === states.length - 1) stop.abort();
        return states[readAt.length - 1]!;
      },
      block,
      clock,
      logger: createLogger({ level: 'silent' }),
      signal: stop.signal,
    });
    // The fake clock jumps to each sleeper's deadline: the reads' times are the redraw interval.
    await done;
    // The last read is the final one, at once after the stop.
    expect(readAt.map((at) => at - readAt[0]!)).toEqual([0, 1_000, 2_000, 2_000]);
    // Three distinct states, three draws (the block's first line starts each draw).
    expect(t.chunks.filter((c) => c.includes('acme (123-ABC-456)'))).toHaveLength(3);
    const screen = t.screen();
    expect(screen.at(-1)).toContain('30 records');
    expect(screen.filter((l) => l.includes('records'))).toHaveLength(1);
    // Released: later output goes below the last block instead of erasing it.
    block.write('after\n');
    expect(t.screen().at(-2)).toContain('30 records');
  });
});
