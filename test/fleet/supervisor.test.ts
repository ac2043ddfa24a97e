import { describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/index.ts';
import { Supervisor } from '../../src/fleet/supervisor.ts';
import { createLogger } from '../../src/log.ts';
import type { RunStats } from '../../src/runner/connection-worker.ts';

const STATS: RunStats = { pages: 1, fetched: 0, published: 0, duplicates: 0, deadLettered: 0 };
const conn = (id: string, extra: Partial<ConnectionConfig> = {}) =>
  ({ id, instance: 'i', ...extra }) as ConnectionConfig;

/** A start function whose runs last until aborted (or until `finish(id)`), recording starts and stops. */
function fakeRuns() {
  const log: string[] = [];
  const finishers = new Map<string, () => void>();
  const start = (c: ConnectionConfig, signal: AbortSignal) =>
    new Promise<RunStats>((resolve, reject) => {
      log.push(`start ${c.id}${c.clientId ? ` ${c.clientId}` : ''}`);
      if (c.id.startsWith('bad')) {
        reject(new Error(`${c.id} failed`));
        return;
      }
      finishers.set(c.id, () => resolve(STATS));
      signal.addEventListener('abort', () => {
        log.push(`stop ${c.id}`);
        resolve(STATS);
      });
    });
  return { start, log, finish: (id: string) => finishers.get(id)?.() };
}

const logger = createLogger({ level: 'silent' });

describe('Supervisor', () => {
  it('starts what is new, stops what is gone, restarts what changed, leaves the rest running', async () => {
    const runs = fakeRuns();
    const s = new Supervisor({ start: runs.start, signal: new AbortController().signal, logger });
    await s.apply([conn('a'), conn('b')]);
    expect(s.running()).toEqual(['a', 'b']);
    await s.apply([conn('b'), conn('c')]);
    expect(s.running()).toEqual(['b', 'c']);
    await s.apply([conn('b', { clientId: 'v2' }), conn('c')]);
    expect(runs.log).toEqual(['start a', 'start b', 'stop a', 'start c', 'stop b', 'start b v2']);
    await s.stopAll();
    expect(s.running()).toEqual([]);
  });

  it('a failed connection stays stopped until given with another configuration; idle() waits for every run', async () => {
    const runs = fakeRuns();
    const s = new Supervisor({ start: runs.start, signal: new AbortController().signal, logger });
    await s.apply([conn('bad1'), conn('x')]);
    await expect.poll(() => s.results.bad1?.error?.message).toBe('bad1 failed');
    await s.apply([conn('bad1'), conn('x')]);
    expect(runs.log.filter((l) => l.startsWith('start bad1'))).toHaveLength(1);
    await s.apply([conn('bad1', { clientId: 'fixed' }), conn('x')]);
    expect(runs.log.filter((l) => l.startsWith('start bad1'))).toHaveLength(2);
    let idle = false;
    const waiting = s.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    runs.finish('x');
    await waiting;
    expect(s.results.x?.stats).toEqual(STATS);
  });

  it('the parent signal stops every run', async () => {
    const runs = fakeRuns();
    const parent = new AbortController();
    const s = new Supervisor({ start: runs.start, signal: parent.signal, logger });
    await s.apply([conn('a'), conn('b')]);
    parent.abort();
    await s.idle();
    expect(runs.log.filter((l) => l.startsWith('stop')).sort()).toEqual(['stop a', 'stop b']);
  });
});
