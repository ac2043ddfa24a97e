import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './tcp-proxy.ts';

/** A Redis of a test's own (nothing on disk): restarting it loses every key, as the local stack's does. */
export interface OwnRedis {
  readonly url: string;
  /** Starts redis-server and resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
}

/** A redis-server (from PATH) on a free port, not started yet. */
export async function createOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  return {
    url,
    async start() {
      if (child) return;
      const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const deadline = Date.now() + 20_000;
      for (;;) {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => {}); // a refused probe is expected while redis-server starts
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          if (Date.now() > deadline) throw new Error(`own redis not answering on ${url} in 20 s`);
          await new Promise((r) => setTimeout(r, 100));
        } finally {
          probe.disconnect();
        }
      }
    },
    async kill() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    },
  };
}
