import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/marketo-stream', import.meta.url));

/** A valid configuration of one connection, through the environment; nothing is contacted. */
const env: NodeJS.ProcessEnv = {
  KAFKA_BROKERS: '127.0.0.1:1',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
  REDIS_URL: 'redis://127.0.0.1:1',
  MARKETO_CONNECTION_ID: 'acme',
  MARKETO_INSTANCE: '123-ABC-456',
  MARKETO_BASE_URL: 'http://127.0.0.1:1',
  MARKETO_CLIENT_ID: 'client',
  MARKETO_CLIENT_SECRET: 'secret',
  MARKETO_START_DATE: '2026-01-01T00:00:00Z',
};

describe('CLI arguments', () => {
  it.each([
    [[], 'usage: marketo-stream <command>'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['status', '--jsn'], "Unknown option '--jsn'"],
    [['status', '--interval', '0'], "--interval must be a positive number, got '0'"],
    [['status', 'extra'], "unexpected argument 'extra'"],
    [['run', '--until-caught'], "Unknown option '--until-caught'"],
    [['cursor'], 'missing argument <get|set|reset>'],
    [['cursor', 'get', 'acme'], 'missing argument <stream>'],
    [['cursor', 'move', 'acme', 'programs'], "<action> must be one of get, set, reset, got 'move'"],
    [['cursor', 'get', 'nobody', 'programs'], "<connection> 'nobody' is not configured (configured: acme)"],
    [['cursor', 'set', 'acme', 'programs'], 'cursor set needs --value <JSON>'],
    [['cursor', 'set', 'acme', 'programs', '--value', '{oops'], '--value is not JSON'],
    [['cursor', 'set', 'acme', 'programs', '--value', '[1]'], '--value must be a JSON object'],
    [['cursor', 'set', 'acme', 'programs', '--value', '{"seq":9}'], "--value must not set 'seq'"],
    [['cursor', 'reset', 'acme', 'programs', '--value', '{}'], '--value is only for cursor set'],
    [['quota', 'show'], 'missing argument <instance>'],
    [['quota', 'drain', '123-ABC-456'], "<action> must be one of show, reconcile, got 'drain'"],
    [['quota', 'show', '999-XYZ-000'], "<instance> '999-XYZ-000' is not configured (configured: 123-ABC-456)"],
    [['replay', '--from', 'beginning'], 'missing --topic'],
    [['replay', '--topic', 't'], 'missing --from'],
    [
      ['replay', '--topic', 't', '--from', 'yesterday'],
      "--from must be beginning, end, an offset or an ISO-8601 timestamp, got 'yesterday'",
    ],
    [
      ['replay', '--topic', 't', '--from', '0', '--partition=-1'],
      "--partition must be a non-negative integer, got '-1'",
    ],
    [['replay', '--topic', 't', '--from', '0', '--limit', 'ten'], "--limit must be a non-negative integer, got 'ten'"],
  ])('%j exits 2 naming the argument', async (argv, message) => {
    const { code, stdout, stderr } = await runCliCaptured(argv, env);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });

  it('a bad configuration exits 2 naming the field', async () => {
    const { code, stderr } = await runCliCaptured(['status'], { ...env, METRICS_PORT: '70000' });
    expect(stderr).toContain('metricsPort (METRICS_PORT)');
    expect(code).toBe(2);
  });

  it('a dependency that does not answer exits 1 naming it', async () => {
    const { code, stderr } = await runCliCaptured(['status'], env);
    expect(stderr).toContain(
      'marketo-stream status: Redis did not answer (REDIS_URL): connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(code).toBe(1);
  });

  it('--help prints the command usage and exits 0', async () => {
    const { code, stdout } = await runCliCaptured(['replay', '--help'], env);
    expect(stdout).toContain('marketo-stream replay --topic TOPIC --from');
    expect(code).toBe(0);
  });

  it('the installed bin answers a wrong argument with exit code 2', async () => {
    const run = promisify(execFile)(BIN, ['cursor', 'get'], { env: { ...env, PATH: process.env.PATH } });
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('missing argument <connection>'),
    });
  });
});
