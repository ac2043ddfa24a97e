import type { ConnectionConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { RunStats } from '../runner/connection-worker.ts';

/** Runs one connection until `signal` aborts (or it is done); the service builds its ConnectionWorker. */
export type StartConnection = (connection: Readonly<ConnectionConfig>, signal: AbortSignal) => Promise<RunStats>;

/** What each connection did, by connection id; a connection that failed carries its error. */
export type ConnectionResults = Record<string, { stats?: RunStats; error?: Error }>;

interface Running {
  connection: Readonly<ConnectionConfig>;
  /** The configuration it was started with, to see a change. */
  fingerprint: string;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * The set of connections this process runs, each on a ConnectionWorker of its own. `apply` makes
 * the running set equal to the one given: it stops (between pages) the connections no longer
 * given, restarts those whose configuration changed, and starts new ones. A connection that
 * fails fatally stops alone and stays stopped until it is given again with another configuration.
 */
export class Supervisor {
  #start: StartConnection;
  #signal: AbortSignal;
  #log: Logger;
  #running = new Map<string, Running>();
  /** Connections that ended by themselves (caught up, or failed), by id and configuration. */
  #ended = new Map<string, string>();
  #results: ConnectionResults = {};
  #idle = new Set<() => void>();

  constructor(o: { start: StartConnection; signal: AbortSignal; logger: Logger }) {
    this.#start = o.start;
    this.#signal = o.signal;
    this.#log = o.logger;
  }

  /** The ids of the connections running now. */
  running(): string[] {
    return [...this.#running.keys()].sort();
  }

  /** What each connection that ran did (its last run). */
  get results(): ConnectionResults {
    return this.#results;
  }

  /** Makes the running set `connections`; resolves once the connections that must stop have stopped. */
  async apply(connections: readonly Readonly<ConnectionConfig>[]): Promise<void> {
    const wanted = new Map(connections.map((c) => [c.id, c]));
    const stopping: Promise<void>[] = [];
    for (const [id, run] of this.#running) {
      const next = wanted.get(id);
      if (next && fingerprintOf(next) === run.fingerprint) continue;
      stopping.push(this.#stop(id, run));
    }
    for (const id of [...this.#ended.keys()]) if (!wanted.has(id)) this.#ended.delete(id);
    await Promise.all(stopping);
    for (const [id, connection] of wanted) {
      if (this.#running.has(id) || this.#ended.get(id) === fingerprintOf(connection)) continue;
      this.#launch(connection);
    }
  }

  /** Stops every connection (between pages) and waits for them. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map(([id, run]) => this.#stop(id, run)));
  }

  /** Resolves when no connection runs (each caught up, failed, or stopped). */
  idle(): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  #launch(connection: Readonly<ConnectionConfig>): void {
    const stop = new AbortController();
    const signal = AbortSignal.any([this.#signal, stop.signal]);
    const fingerprint = fingerprintOf(connection);
    this.#log.info({ connection: connection.id }, 'starting connection');
    const done = Promise.resolve()
      .then(() => this.#start(connection, signal))
      .then(
        (stats) => {
          this.#results[connection.id] = { stats };
        },
        (err: unknown) => {
          this.#results[connection.id] = { error: err as Error };
        },
      );
    const run: Running = { connection, fingerprint, stop, done };
    this.#running.set(connection.id, run);
    void done.then(() => {
      if (this.#running.get(connection.id) !== run) return;
      this.#running.delete(connection.id);
      if (!stop.signal.aborted) this.#ended.set(connection.id, fingerprint);
      if (this.#running.size === 0) for (const resolve of this.#drainIdle()) resolve();
    });
  }

  #drainIdle(): (() => void)[] {
    const waiting = [...this.#idle];
    this.#idle.clear();
    return waiting;
  }

  async #stop(id: string, run: Running): Promise<void> {
    this.#log.info({ connection: id }, 'stopping connection');
    run.stop.abort();
    await run.done;
    if (this.#running.get(id) === run) this.#running.delete(id);
    if (this.#running.size === 0) for (const resolve of this.#drainIdle()) resolve();
  }
}

/** A connection's configuration as a comparable string (secrets included: a new secret restarts it). */
const fingerprintOf = (connection: Readonly<ConnectionConfig>) => JSON.stringify(connection);
