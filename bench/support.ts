/** Pieces the benchmarks share: the simulator as a separate process, and process memory from /proc. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';

export interface SimulatorProcess {
  url: string;
  clientId: string;
  clientSecret: string;
  child: ChildProcess;
}

/**
 * The simulator in a process of its own (limits off, quirks 0, frozen clock), as a service would
 * meet it: the client's parsing does not eat the simulator's CPU.
 */
export async function spawnSimulator(args: {
  seed: number;
  leads: number;
  activities: number;
  /** The world's span and the simulator's clock (defaults: the year 2025, a frozen clock at its end). */
  span?: { start: string; end: string; now: string };
  /** More simulator flags; `--running` (instead of the frozen clock) lets time pass. */
  flags?: string[];
}): Promise<SimulatorProcess> {
  const span = args.span ?? { start: '2025-01-01T00:00:00Z', end: '2025-12-31T23:59:59Z', now: '2026-01-01T00:00:00Z' };
  const flags = args.flags ?? [];
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('../simulator/cli.ts', import.meta.url)),
      `--seed=${args.seed}`,
      `--leads=${args.leads}`,
      `--activities=${args.activities}`,
      `--start=${span.start}`,
      `--end=${span.end}`,
      `--now=${span.now}`,
      '--limits=off',
      '--quirks=off',
      ...(flags.includes('--running') ? flags.filter((f) => f !== '--running') : ['--frozen', ...flags]),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { ...(JSON.parse(line) as { url: string; clientId: string; clientSecret: string }), child };
}

/** Resident set of a live process, from /proc, in MB. */
export function rssMbOf(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
}

/**
 * The Node flags `npm start` runs the service with (package.json): a smaller young generation, and
 * an old generation allowed to grow to twice what the last full GC kept (V8 otherwise lets it grow
 * to several times that before collecting, and peak RSS climbs with the number of pages served).
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=100'];
/** The environment `npm start` gives it (package.json): fewer glibc malloc arenas for its two threads. */
const SERVICE_ENV = { MALLOC_ARENA_MAX: '2' };
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * Runs the service (`src/main.ts --until-caught-up`, as `npm start` runs it) as a child process
 * with `env` (and `npm start`'s environment) until it exits, sampling its peak RSS (VmHWM) and CPU
 * every 100 ms. Throws when it exits non-zero.
 */
export async function runServiceProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; peakRssMb: number; cpuMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN, '--until-caught-up'], {
    env: { ...SERVICE_ENV, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  let cpuMs = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMbOf(child.pid!, 'VmHWM'));
      cpuMs = cpuMsOf(child.pid!); // the last sample before exit: at most 100 ms short
    } catch {
      // exited between two samples
    }
  }, 100);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the service exited with ${code}`);
  return { seconds: (performance.now() - t0) / 1000, peakRssMb: peak, cpuMs };
}

/** Clock ticks per second of /proc's CPU figures (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a live process has used so far, in ms, from /proc. */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU time the whole machine has spent busy and idle so far (all cores), in ms, from /proc/stat. */
export function machineCpuMs(): { busy: number; idle: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3]! + ticks[4]!; // idle + iowait
  const all = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest time is inside user)
  return { busy: ((all - idle) * 1000) / TICKS_PER_SECOND, idle: (idle * 1000) / TICKS_PER_SECOND };
}

/**
 * Deletes the topics whose names start with `prefix` (a bench run's), so repeated runs do not leave
 * the broker compacting gigabytes of old bench data while the next run measures.
 */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
