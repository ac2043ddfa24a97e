import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import { type HttpServer, startHttpServer } from '../../src/http/index.ts';
import { createLogger } from '../../src/log.ts';

const logger = createLogger({ level: 'silent' });
const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(readiness: Parameters<typeof startHttpServer>[0]['readiness']) {
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: new Registry(),
    readiness,
    readinessTimeoutMs: 100,
    logger,
  });
  servers.push(server);
  return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);
}

describe('HTTP server', () => {
  it('names each failing dependency, a hung one included, in a 503', async () => {
    const get = await start({
      redis: async () => {
        throw new Error('ECONNREFUSED');
      },
      kafka: () => new Promise(() => {}),
      schemaRegistry: async () => {},
    });
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      failing: ['redis', 'kafka'],
      checks: { redis: 'ECONNREFUSED', kafka: 'no answer within 100 ms', schemaRegistry: 'ok' },
    });
  });

  it('answers 200 when every dependency does, 404 elsewhere, 405 for other methods', async () => {
    const get = await start({ redis: async () => {} });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', failing: [], checks: { redis: 'ok' } });
    expect((await get('/livez')).status).toBe(200);
    expect((await get('/metrics')).headers.get('content-type')).toContain('text/plain');
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/livez', { method: 'POST' })).status).toBe(405);
  });

  it('a port in use fails the start naming METRICS_PORT', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        startHttpServer({ port, host: '127.0.0.1', registry: new Registry(), readiness: {}, logger }),
      ).rejects.toMatchObject({ code: ErrorCodes.CONFIG_INVALID, message: expect.stringContaining('METRICS_PORT') });
    } finally {
      taken.close();
    }
  });
});
