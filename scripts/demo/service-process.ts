import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

// Variables src/config/load.ts reads over CONFIG_FILE; the demo's file must be the whole config.
const CONFIG_VARIABLE = /^(MARKETO_|KAFKA_|TOPIC_|SCHEMA_REGISTRY_|REDIS_|LOOKBACK_|INCREMENT_|QUOTA_|LEASE_|LOG_)/;

/** How the service process ended. */
export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs the service as a user does (`node src/main.ts --until-caught-up`) with `config` as its
 * CONFIG_FILE (a private temporary file, removed afterwards) and both of its output streams
 * appended to the file descriptor `logFd`: the service's JSON log, its worker threads' included,
 * never reaches the terminal.
 */
export async function runServiceProcess(config: object, logFd: number): Promise<ServiceExit> {
  const dir = mkdtempSync(path.join(tmpdir(), 'marketo-stream-demo-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARIABLE.test(k)));
  try {
    const child = spawn(process.execPath, [MAIN, '--until-caught-up'], {
      env: { ...env, CONFIG_FILE: file },
      stdio: ['ignore', logFd, logFd],
    });
    return await new Promise<ServiceExit>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Totals of a run, from the service's `connection worker stopped` log lines (summed over connections). */
export interface RunTotals {
  pages: number;
  published: number;
  duplicates: number;
  deadLettered: number;
}

/** Sums the totals the service logged when its connection workers stopped; undefined when none did. */
export function runTotalsFromLog(logText: string): RunTotals | undefined {
  let totals: RunTotals | undefined;
  for (const line of logText.split('\n')) {
    if (!line.includes('"connection worker stopped"')) continue;
    const entry = JSON.parse(line) as Partial<RunTotals>;
    totals ??= { pages: 0, published: 0, duplicates: 0, deadLettered: 0 };
    for (const k of Object.keys(totals) as (keyof RunTotals)[]) totals[k] += entry[k] ?? 0;
  }
  return totals;
}
