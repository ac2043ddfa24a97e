import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';

/** A redis-server of a test's own (never the shared one): keeps nothing on disk, so a restart starts empty. */
export interface OwnRedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL): its data is gone. */
  kill(): Promise<void>;
  /** Starts an empty server on the same port. */
  start(): Promise<void>;
}

/** Starts `redis-server` on `port` (127.0.0.1, no persistence) and waits until it answers. */
export async function startOwnRedisServer(port: number): Promise<OwnRedisServer> {
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server listens: polled below
    try {
      await vi.waitFor(
        async () => {
          if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
          expect(await probe.ping()).toBe('PONG');
        },
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      probe.disconnect();
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url, kill, start };
}
