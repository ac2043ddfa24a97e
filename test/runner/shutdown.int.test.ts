import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readCheckpoints } from '../../src/producer/index.ts';
import {
  consumeAll,
  duplicatesOf,
  expectTrackedActivitiesExactlyOnce,
  testConfig,
  testKafka,
  topicsOf,
  workerEnv,
} from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';
import { freePort } from '../support/tcp-proxy.ts';

const BIN = fileURLToPath(new URL('../../bin/marketo-stream', import.meta.url));
const startSimulator = useSimulator();
const redis = new Redis(process.env.REDIS_URL!);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => redis.disconnect());

describe('graceful shutdown', () => {
  it('SIGTERM mid-backfill: exits 0 within 10 s, cursors mirrored, nothing doubled; the next run completes exactly once', async () => {
    const sim = await startSimulator({
      seed: 51,
      leads: 300,
      activities: 40_000,
      start: '2026-01-01T00:00:00Z',
      end: '2026-06-30T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    // Slow Marketo down so the backfill is still running when the signal comes.
    sim.injectFault({ kind: 'delay', endpoint: 'activities.json', rate: 1, delayMs: 60 });
    const config = testConfig(sim, { metricsPort: await freePort(), connection: { ratePer20s: 1000 } });
    const { id: connection } = config.connections[0]!;
    const env = workerEnv(config);
    const child = spawn(BIN, ['run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });

    // Mid-backfill: a few pages of activities committed, and the HTTP endpoints up.
    await vi.waitFor(
      async () => {
        const keys = await redis.keys(`mkto:{${connection}}:cursor:activities.*`);
        expect(keys.length).toBeGreaterThan(0);
        const seqs = await Promise.all(keys.map((k) => redis.hget(k, 'seq')));
        expect(Math.max(...seqs.map(Number))).toBeGreaterThanOrEqual(5);
        expect((await fetch(`http://127.0.0.1:${config.metricsPort}/livez`)).status).toBe(200);
      },
      { timeout: 60_000, interval: 100 },
    );
    const exited = once(child, 'exit');
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    const tookMs = Date.now() - signalledAt;
    expect({ code, stderr: code === 0 ? '' : stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    expect(tookMs).toBeLessThanOrEqual(10_000);
    await expect(fetch(`http://127.0.0.1:${config.metricsPort}/livez`)).rejects.toThrow();

    // Stopped mid-backfill, and every committed cursor is mirrored to Redis.
    const checkpoints = await readCheckpoints(testKafka(), topicsOf(config).checkpoints, `${connection}:`);
    const phases = [...checkpoints]
      .filter(([k]) => k.includes(':activities.'))
      .map(([, c]) => (c as { phase: string }).phase);
    expect(phases).toContain('backfill');
    for (const [key, cursor] of checkpoints) {
      const stream = key.slice(connection.length + 1);
      expect(await redis.hget(`mkto:{${connection}}:cursor:${stream}`, 'seq')).toBe(
        String((cursor as { seq: number }).seq),
      );
    }
    const partial = await consumeAll(topicsOf(config).activities);
    expect(partial.length).toBeGreaterThan(0);
    expect(duplicatesOf(partial.map((r) => r.id))).toEqual([]);

    const rerun = spawn(BIN, ['run', '--until-caught-up'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(rerun);
    const [rerunCode] = (await once(rerun, 'exit')) as [number | null];
    expect(rerunCode).toBe(0);
    await expectTrackedActivitiesExactlyOnce(sim, config);
  });
});
