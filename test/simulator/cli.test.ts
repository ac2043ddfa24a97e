import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseSimulatorArgs,
  SIMULATOR_FLAGS,
  type SimulatorCommand,
  simulatorFlagTable,
  simulatorUsage,
} from '../../simulator/cli-flags.ts';
import type { SimulatorOptions } from '../../simulator/index.ts';

const optionsOf = (argv: string[]): SimulatorOptions => {
  const command = parseSimulatorArgs(argv);
  if (command.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(command)}`);
  return command.options;
};
const errorOf = (argv: string[]): string => {
  const command: SimulatorCommand = parseSimulatorArgs(argv);
  if (command.kind !== 'error') throw new Error(`expected error, got ${JSON.stringify(command)}`);
  return command.message;
};

describe('simulator CLI flags', () => {
  it('--help lists every flag, one line each, with its default', () => {
    const command = parseSimulatorArgs(['--seed', '3', '--help']);
    expect(command.kind).toBe('help');
    const usage = command.kind === 'help' ? command.usage : '';
    expect(usage).toBe(simulatorUsage());
    const lines = usage.split('\n');
    expect(lines.find((l) => /^\s+--help\s/.test(l))).toBeDefined();
    for (const flag of SIMULATOR_FLAGS) {
      const own = lines.filter((l) => new RegExp(`^\\s+--${flag.name}(\\s|$)`).test(l));
      expect(own, flag.name).toHaveLength(1);
      expect(own[0]).toContain(`(default: ${flag.defaultText.replaceAll('`', '')})`);
    }
  });

  it('rejects an unknown flag, naming it', () => {
    expect(errorOf(['--seed', '2', '--bogus-flag', '1'])).toContain("'--bogus-flag'");
    expect(errorOf(['--bogus=1'])).toContain("'--bogus'");
    expect(errorOf(['seed'])).toContain("'seed'");
  });

  it('the CLI exits 2 on a bad flag, naming it, and 0 on --help with the usage', () => {
    const cli = fileURLToPath(new URL('../../simulator/cli.ts', import.meta.url));
    const bad = spawnSync(process.execPath, [cli, '--port', '0', '--no-such-flag'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("'--no-such-flag'");
    expect(bad.stdout).toBe('');
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(simulatorUsage());
  });

  it('rejects a malformed or missing value, naming the flag', () => {
    expect(errorOf(['--leads', 'many'])).toMatch(/^--leads: .*'many'/);
    expect(errorOf(['--latency-ms', '50,10'])).toMatch(/^--latency-ms: /);
    expect(errorOf(['--latency-ms', '1,2,3'])).toMatch(/^--latency-ms: /);
    expect(errorOf(['--late-rate', '1.5'])).toMatch(/^--late-rate: /);
    expect(errorOf(['--start', 'yesterday'])).toMatch(/^--start: /);
    expect(errorOf(['--limits', 'on'])).toMatch(/^--limits: /);
    expect(errorOf(['--missing-types', '46,,47'])).toMatch(/^--missing-types: /);
    expect(errorOf(['--frozen=yes'])).toMatch(/^--frozen /);
    expect(errorOf(['--seed'])).toMatch(/^--seed needs a value/);
  });

  it('with no flags, leaves every option to its default', () => {
    expect(optionsOf([])).toEqual({});
  });

  // One argv per flag and the options it must produce: a flag added to the list without a case fails.
  const cases: Record<string, [string[], SimulatorOptions]> = {
    port: [['--port', '8090'], { port: 8090 }],
    host: [['--host', '0.0.0.0'], { host: '0.0.0.0' }],
    seed: [['--seed=7'], { seed: 7 }],
    leads: [['--leads', '5000'], { leads: 5000 }],
    activities: [['--activities', '200000'], { activities: 200_000 }],
    programs: [['--programs', '3'], { programs: 3 }],
    campaigns: [['--campaigns', '4'], { campaigns: 4 }],
    start: [['--start', '2025-02-01T00:00:00Z'], { start: '2025-02-01T00:00:00Z' }],
    end: [['--end', '2025-03-01T00:00:00Z'], { end: '2025-03-01T00:00:00Z' }],
    now: [['--now', '2025-04-01T00:00:00Z'], { now: '2025-04-01T00:00:00Z' }],
    frozen: [['--frozen'], { clock: 'frozen' }],
    'clock-skew-ms': [['--clock-skew-ms', '-30000'], { clockSkewMs: -30_000 }],
    'client-id': [['--client-id', 'abc'], { clientId: 'abc' }],
    'client-secret': [['--client-secret', 'xyz'], { clientSecret: 'xyz' }],
    instance: [['--instance', '999-ABC-111'], { instance: '999-ABC-111' }],
    'token-api-lead-ms': [['--token-api-lead-ms', '120000'], { tokenApiLeadMs: 120_000 }],
    limits: [['--limits', 'off'], { limits: { ratePer20s: false, maxInFlight: false, dailyQuota: false } }],
    'reset-late-seconds': [['--reset-late-seconds', '90'], { limits: { resetLateSeconds: 90 } }],
    quirks: [['--quirks=off'], { quirks: { shortPageRate: 0, emptyPageRate: 0 } }],
    'latency-ms': [['--latency-ms', '40,400'], { latency: { medianMs: 40, p99Ms: 400 } }],
    'missing-types': [['--missing-types', '46,47,Sales Email'], { missingActivityTypes: [46, 47, 'Sales Email'] }],
    'late-rate': [['--late-rate', '0.2'], { lateArrivalRate: 0.2 }],
    'late-max-minutes': [['--late-max-minutes', '1440'], { lateArrivalMaxMs: 1440 * 60_000 }],
    'scan-cap': [['--scan-cap', '500'], { scanCap: 500 }],
    'deleted-lead-rate': [['--deleted-lead-rate', '0.1'], { deletedLeadRate: 0.1 }],
    'paging-token-ttl-ms': [['--paging-token-ttl-ms', '60000'], { pagingTokenTtlMs: 60_000 }],
    'numeric-guids': [['--numeric-guids'], { numericGuids: true }],
    'bulk-processing-ms': [['--bulk-processing-ms', '1000'], { bulkProcessingMs: 1000 }],
    'bulk-processing-ms-per-mb': [['--bulk-processing-ms-per-mb', '200'], { bulkProcessingMsPerMb: 200 }],
    'bulk-noise': [['--bulk-noise'], { bulkNoise: true }],
  };

  it('has a mapping case for every flag', () => {
    expect(Object.keys(cases).sort()).toEqual(SIMULATOR_FLAGS.map((f) => f.name).sort());
  });

  it.each(Object.entries(cases))('--%s maps to its option', (_name, [argv, expected]) => {
    expect(optionsOf(argv)).toEqual(expected);
  });

  it('a fixed latency profile has no p99', () => {
    expect(optionsOf(['--latency-ms=25'])).toEqual({ latency: { medianMs: 25 } });
  });

  it('--limits off and --reset-late-seconds combine in either order', () => {
    const both = { limits: { ratePer20s: false, maxInFlight: false, dailyQuota: false, resetLateSeconds: 60 } };
    expect(optionsOf(['--limits', 'off', '--reset-late-seconds', '60'])).toEqual(both);
    expect(optionsOf(['--reset-late-seconds', '60', '--limits', 'off'])).toEqual(both);
  });

  it("the README's flag table is the one built from the flag list", () => {
    const readme = readFileSync(new URL('../../simulator/README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('| flag | default | meaning |');
    expect(start, 'README has a flag table').toBeGreaterThanOrEqual(0);
    const end = readme.indexOf('\n\n', start);
    expect(readme.slice(start, end), `replace the README's flag table with:\n${simulatorFlagTable()}`).toBe(
      simulatorFlagTable(),
    );
  });
});
