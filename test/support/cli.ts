import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/cli.ts';
import type { Config } from '../../src/config/index.ts';

/** What one CLI invocation printed and returned. */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

/** Runs `marketo-stream <argv>` in this process with `env` as its environment, capturing its output. */
export async function runCliCaptured(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** An environment that gives the CLI `config` through a CONFIG_FILE, as an operator would. */
export function configFileEnv(config: Readonly<Config>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'marketo-stream-cli-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return { PATH: process.env.PATH, CONFIG_FILE: file };
}
