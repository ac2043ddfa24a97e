import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './tcp-proxy.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where the Kafka jars are: $KAFKA_LIBS, else $STACK_DIR/kafka/libs, else <repo>/.stack/kafka/libs
 * (where scripts/stack.sh resolves them, e.g. after `npm run demo` in CI). Throws naming them all.
 */
export function kafkaLibs(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.KAFKA_LIBS,
    env.STACK_DIR && path.join(env.STACK_DIR, 'kafka/libs'),
    path.join(ROOT, '.stack/kafka/libs'),
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no Kafka jars in ${candidates.join(', ')}: run scripts/stack.sh up (or set KAFKA_LIBS)`);
  return found;
}

/** A single-node KRaft broker of a test's own, which the test may kill and start again (same data). */
export interface OwnBroker {
  /** host:port */
  readonly brokers: string;
  /** Starts the broker process and resolves once it answers a metadata request. */
  start(): Promise<void>;
  /** Kills the broker process (SIGKILL: no clean shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Kills it and removes its data directory. */
  destroy(): Promise<void>;
  /** The broker's log file (for a failing test's message). */
  readonly logFile: string;
}

const properties = (dir: string, port: number, controllerPort: number) => `process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dir}/data
${readFileSync(path.join(ROOT, 'scripts/stack/kafka-single-node.properties'), 'utf8')}
# The coordinator's own sweep of timed-out transactions first runs a minute after start-up, when the
# broker serves: a transaction the kill left open is aborted by the service's next InitProducerId.
# Run during start-up (every 2 s before), the sweep aborted it while the restarted broker was still
# fenced, skipped its markers, and left it hanging (docs/architecture.md, "A transaction left
# hanging by a restarted broker").
transaction.abort.timed.out.transaction.cleanup.interval.ms=60000
`;

async function answers(brokers: string): Promise<boolean> {
  const admin = new Kafka({
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1_000,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Formats a temporary data directory for a broker on free ports (the stack's single-node settings, scripts/stack/kafka-single-node.properties),
 * without starting it. The jars come from kafkaLibs().
 */
export async function createOwnBroker(): Promise<OwnBroker> {
  const libs = kafkaLibs();
  const dir = mkdtempSync(path.join(tmpdir(), 'own-broker-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const config = path.join(dir, 'server.properties');
  writeFileSync(config, properties(dir, port, controllerPort));
  const cp = path.join(libs, '*');
  const log4j = `-Dlog4j2.configurationFile=${path.join(ROOT, 'scripts/stack/log4j2.properties')}`;
  const java = (args: string[]) => execFileSync('java', ['-cp', cp, log4j, ...args], { encoding: 'utf8' });
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').at(-1)!;
  java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config, '--standalone', '--ignore-formatted']);

  const brokers = `127.0.0.1:${port}`;
  const logFile = path.join(dir, 'kafka.log');
  let child: ChildProcess | undefined;
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  };
  return {
    brokers,
    logFile,
    async start() {
      if (child) return;
      const out = openSync(logFile, 'a');
      const c = spawn('java', ['-Xms128m', '-Xmx512m', '-cp', cp, log4j, 'kafka.Kafka', config], {
        stdio: ['ignore', out, out],
      });
      child = c;
      const deadline = Date.now() + 90_000;
      while (!(await answers(brokers))) {
        if (c.exitCode !== null) throw new Error(`own broker exited with ${c.exitCode}; see ${logFile}`);
        if (Date.now() > deadline) throw new Error(`own broker not answering on ${brokers} in 90 s; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    kill,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
