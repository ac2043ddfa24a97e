import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCheckpoints } from '../../src/producer/index.ts';
import { configFileEnv } from '../support/cli.ts';
import { runUntilCaughtUp, testConfig, testKafka, topicsOf } from '../support/pipeline.ts';
import { useSimulator } from '../support/scenario.ts';

const BIN = fileURLToPath(new URL('../../bin/marketo-stream', import.meta.url));
const startSimulator = useSimulator();
// A tmux server of this test's own, on its own socket.
const socket = `marketo-stream-test-${randomBytes(4).toString('hex')}`;
const tmux = async (...args: string[]) => (await promisify(execFile)('tmux', ['-L', socket, ...args])).stdout;
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

describe('status on a real terminal', () => {
  it('renders the tables, refreshes them with --watch, and stops on Ctrl-C', async () => {
    const sim = await startSimulator({
      seed: 71,
      leads: 80,
      activities: 1_500,
      start: '2026-01-01T00:00:00Z',
      end: '2026-02-01T00:00:00Z',
      limits: { ratePer20s: false, maxInFlight: false },
    });
    const config = testConfig(sim, { connection: { ratePer20s: 1000, streams: ['activities', 'programs'] } });
    const c = config.connections[0]!;
    await runUntilCaughtUp(config);
    // A commit's markers reach the partitions a moment after it returns: poll until a read_committed
    // reader sees every stream's checkpoint (two activity groups and programs).
    let streams: string[] = [];
    await vi.waitFor(
      async () => {
        const checkpoints = await readCheckpoints(testKafka(), topicsOf(config).checkpoints, `${c.id}:`);
        streams = [...checkpoints.keys()].map((k) => k.slice(c.id.length + 1));
        expect(streams.length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 15_000, interval: 250 },
    );

    const env = configFileEnv(config);
    await tmux(
      'new-session',
      '-d',
      '-x',
      '200',
      '-y',
      '50',
      '-s',
      'status',
      '-e',
      `CONFIG_FILE=${env.CONFIG_FILE}`,
      // The shell reports the CLI's exit code on the screen (tmux may not reap an exited pane
      // process at once); its INT trap keeps the shell itself waiting through Ctrl-C.
      `trap true INT; ${BIN} status --watch --interval 1; echo "marketo-stream exited with $?"; exec sleep 600`,
    );
    const screen = () => tmux('capture-pane', '-p', '-t', 'status');
    const stampOf = (text: string) => /marketo-stream status at (\S+)/.exec(text)?.[1];

    let first = '';
    await vi.waitFor(
      async () => {
        first = await screen();
        expect(first).toContain('STREAM');
      },
      { timeout: 20_000, interval: 200 },
    );
    const lines = first.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^INSTANCE +DAY +USED +LIMIT +RESERVE +REMAINING +RESETS AT/));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${c.instance} +\\d{4}-\\d{2}-\\d{2} +[1-9]\\d* +50000 +0 `)),
    );
    expect(lines).toContainEqual(`CONNECTION ${c.id}  instance ${c.instance}  state stopped  worker -`);
    expect(lines).toContainEqual('  reason: caught up');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}STREAM +PHASE +SEQ +RECORDS +NEWEST DATE +LAG +POSITION$/),
    );
    for (const stream of streams) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^  ${stream.replace(/\./g, '\\.')} +incremental +[1-9]\\d* `)),
      );
    }

    // --watch redraws the screen: a later time stamp, and still one status on screen.
    await vi.waitFor(
      async () => {
        const later = await screen();
        expect(stampOf(later)).toBeDefined();
        expect(stampOf(later)).not.toBe(stampOf(first));
        expect(later.match(/marketo-stream status at/g)).toHaveLength(1);
      },
      { timeout: 10_000, interval: 200 },
    );

    await tmux('send-keys', '-t', 'status', 'C-c');
    await vi.waitFor(async () => expect(await screen()).toContain('marketo-stream exited with 0'), {
      timeout: 10_000,
      interval: 200,
    });
  });
});
