import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ReadinessCheck, runChecks } from './readiness.ts';

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** TCP port; 0 picks a free one (the returned server says which). */
  port: number;
  /** Default all interfaces (probes and Prometheus come from outside the container). */
  host?: string;
  /** Served on /metrics. */
  registry: Registry;
  /** Dependencies /readyz checks, by the name it reports. */
  readiness: Record<string, ReadinessCheck>;
  /** Per check, default 2 000 ms. */
  readinessTimeoutMs?: number;
  logger: Logger;
}

/** A running HTTP server. */
export interface HttpServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes every open connection, including keep-alive ones. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format), `/livez` (200 whenever the event loop gets to answer)
 * and `/readyz` (200 when every dependency answers in time; else 503 with a JSON body naming the
 * failing ones). Rejects with CONFIG_INVALID naming METRICS_PORT when the port cannot be bound.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const log = options.logger.child({ component: 'http' });
  const timeoutMs = options.readinessTimeoutMs ?? 2_000;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.warn({ err, url: req.url }, 'HTTP request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/metrics':
        return send(res, 200, options.registry.contentType, await options.registry.metrics());
      case '/livez':
        return send(res, 200, 'text/plain', 'ok\n');
      case '/readyz': {
        const checks = await runChecks(options.readiness, timeoutMs);
        const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
        if (failing.length > 0) log.warn({ failing, checks }, 'not ready');
        const body = { status: failing.length === 0 ? 'ready' : 'unavailable', failing, checks };
        return send(res, failing.length === 0 ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
      }
      default:
        return send(res, 404, 'text/plain', 'not found: try /metrics, /livez or /readyz\n');
    }
  }

  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'serving /metrics, /livez and /readyz');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new MarketoStreamError(
          ErrorCodes.CONFIG_INVALID,
          `metricsPort (METRICS_PORT): cannot listen on ${port}: ${err.code ?? err.message}`,
          {
            field: 'metricsPort',
            cause: err,
          },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
