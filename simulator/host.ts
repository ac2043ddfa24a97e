import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { buildSimulator, type Simulator, type SimulatorOptions } from './index.ts';
import { listen } from './server.ts';

/** Options of {@link startSimulatorHost}. */
export interface SimulatorHostOptions {
  /** One entry per instance; each needs its own `instance` (munchkin id). Their `port`/`host` are ignored. */
  instances: SimulatorOptions[];
  /** Port of the one server (default 0: a free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

/** Many simulated instances behind one port. */
export interface SimulatorHost {
  /** http://127.0.0.1:PORT, the server's root (not an instance's base URL). */
  url: string;
  /** The instances, in the order given; each one's `url` is its base URL, `<host url>/<instance>`. */
  instances: Simulator[];
  close(): Promise<void>;
}

/**
 * Serves many simulated instances on one port, as Marketo gives each instance its own base URL:
 * each has its own munchkin id, credentials, world, clock, quota, limits, faults and latency.
 * A request reaches an instance by path prefix (`/<munchkin>/rest/…`, `/<munchkin>/identity/…`,
 * the base URL in `instances[i].url`) or by host name (`Host: <munchkin>.anything`, with the path
 * as on a single instance). Any other request answers 404.
 */
export async function startSimulatorHost(options: SimulatorHostOptions): Promise<SimulatorHost> {
  const byId = new Map<string, { sim: Simulator; handler: RequestListener }>();
  const built = options.instances.map((o) => {
    if (!o.instance) throw new Error('simulator host: every instance needs its `instance` (munchkin id)');
    const key = o.instance.toLowerCase();
    if (byId.has(key)) throw new Error(`simulator host: instance ${o.instance} given twice`);
    const entry = buildSimulator(o);
    byId.set(key, entry);
    return entry.sim;
  });
  const route = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const named = byId.get((req.headers.host ?? '').split('.')[0]!.toLowerCase());
    if (named && req.headers.host?.includes('.')) return named.handler(req, res);
    const slash = url.indexOf('/', 1);
    const prefix = url.slice(1, slash < 0 ? url.length : slash).toLowerCase();
    const entry = byId.get(prefix);
    if (!entry || slash < 0) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such instance on this simulator host');
      return;
    }
    req.url = url.slice(slash);
    entry.handler(req, res);
  };
  const { url: root, close } = await listen(route, options.port, options.host);
  for (const sim of built) sim.url = `${root}/${sim.instance}`;
  return { url: root, instances: built, close };
}
