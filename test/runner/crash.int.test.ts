import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectTrackedActivitiesExactlyOnce, testConfig, useSimulator, workerEnv } from '../support/pipeline.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const startSimulator = useSimulator();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Resolves with the exit code, or with 'running' when the process is still alive after `ms`. */
async function exitWithin(child: ChildProcess, ms: number): Promise<number | 'running'> {
  const exited = once(child, 'exit').then(([code]) => code as number);
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms));
  return Promise.race([exited, timer]);
}

describe('crash safety', () => {
  it('delivers every activity exactly once although the worker is SIGKILLed at random moments', async () => {
    const sim = await startSimulator({
      seed: 5,
      leads: 400,
      activities: 60_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-06-30T00:00:00Z',
      now: '2026-07-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    // Slow Marketo down a little so the backfill spans many kill points.
    sim.injectFault({ kind: 'delay', endpoint: 'activities.json', rate: 1, delayMs: 40 });
    // A killed worker's lease expires quickly, so its restart is not kept waiting.
    const config = testConfig(sim, { leaseTtlSeconds: 2, connection: { ratePer20s: 100, streams: ['activities'] } });
    const env = workerEnv(config);

    let kills = 0;
    let finished = false;
    const random = mulberry32(42);
    for (let run = 0; run < 30 && !finished; run++) {
      const child = spawn(process.execPath, [MAIN, '--until-caught-up'], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      if (kills < 6) {
        const outcome = await exitWithin(child, 600 + random() * 2_000);
        if (outcome === 'running') {
          child.kill('SIGKILL');
          await once(child, 'exit');
          kills++;
        } else {
          expect(outcome).toBe(0);
          finished = true;
        }
      } else {
        expect(await exitWithin(child, 120_000)).toBe(0);
        finished = true;
      }
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(5);

    await expectTrackedActivitiesExactlyOnce(sim, config);
  });
});

/** A small seeded PRNG, so the kill moments are random but the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
