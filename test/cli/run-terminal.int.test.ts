import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCheckpoints } from '../../src/producer/index.ts';
import { configFileEnv } from '../support/cli.ts';
import { testConfig, testKafka, topicsOf } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const BIN = fileURLToPath(new URL('../../bin/marketo-stream', import.meta.url));
const startSimulator = useSimulator();
// A tmux server of this test's own, on its own socket.
const socket = `marketo-stream-run-${randomBytes(4).toString('hex')}`;
const tmux = async (...args: string[]) => (await promisify(execFile)('tmux', ['-L', socket, ...args])).stdout;
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

const world = {
  seed: 73,
  leads: 80,
  activities: 1_500,
  start: '2026-01-01T00:00:00Z',
  end: '2026-02-01T00:00:00Z',
  limits: { ratePer20s: false as const, maxInFlight: false as const },
};
const connection = { ratePer20s: 1000, streams: ['activities' as const, 'programs' as const] };

/** Records per stream, from the committed checkpoints. */
async function publishedByStream(config: ReturnType<typeof testConfig>): Promise<Map<string, number>> {
  const c = config.connections[0]!;
  const checkpoints = await readCheckpoints(testKafka(), topicsOf(config).checkpoints, `${c.id}:`);
  return new Map(
    [...checkpoints].map(([key, cursor]) => [key.slice(c.id.length + 1), (cursor as { published: number }).published]),
  );
}

describe('run, for people', () => {
  it('on a terminal: pretty log lines, and the progress block under them, last showing every stream caught up', async () => {
    const sim = await startSimulator(world);
    const config = testConfig(sim, { logLevel: 'info', connection });
    const c = config.connections[0]!;
    await tmux(
      'new-session',
      '-d',
      '-x',
      '220',
      '-y',
      '50',
      '-s',
      'run',
      '-e',
      `CONFIG_FILE=${configFileEnv(config).CONFIG_FILE}`,
      `${BIN} run --until-caught-up; echo "marketo-stream exited with $?"; exec sleep 600`,
    );
    const screen = async () => (await tmux('capture-pane', '-p', '-S', '-', '-t', 'run')).split('\n');
    let lines: string[] = [];
    await vi.waitFor(
      async () => {
        lines = await screen();
        expect(lines).toContain('marketo-stream exited with 0');
      },
      { timeout: 90_000, interval: 500 },
    );

    const published = await publishedByStream(config);
    expect(published.size).toBeGreaterThanOrEqual(3);
    // The block stays as the service left it: the header, then one line per stream, right above
    // the service's last log lines.
    const header = lines.findLastIndex((l) => l.startsWith(`${c.id} (${c.instance}) · `));
    expect(header).toBeGreaterThan(0);
    expect(lines[header]).toMatch(
      new RegExp(`calls left today · ${published.size} of ${published.size} streams caught up$`),
    );
    const block = lines.slice(header + 1, header + 1 + published.size);
    for (const [stream, records] of published) {
      expect(block).toContainEqual(
        expect.stringMatching(
          new RegExp(`^  ${stream.replace(/\./g, '\\.')} +caught up +${records.toLocaleString('en-US')} records `),
        ),
      );
    }
    // The logs are pretty: readable lines, none of them JSON.
    expect(lines.some((l) => / INFO: connection done /.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    // Only one header in the whole scrollback: the block was redrawn in place, never repeated.
    expect(lines.filter((l) => l.startsWith(`${c.id} (${c.instance}) · `))).toHaveLength(1);
  });

  it('off a terminal: JSON log lines only, no progress', async () => {
    const sim = await startSimulator(world);
    const config = testConfig(sim, { logLevel: 'info', connection });
    const { stderr, stdout } = await promisify(execFile)(BIN, ['run', '--until-caught-up'], {
      env: configFileEnv(config),
    });
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(stderr).not.toContain('calls left today');
    expect(lines.map((l) => JSON.parse(l).msg)).toContain('connection done');
  });
});
