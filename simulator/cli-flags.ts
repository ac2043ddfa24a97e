/**
 * The simulator CLI's flags: one list that the parser, `--help` and the README's flag table are all
 * built from, so they cannot drift apart. Pure: no I/O, no process access.
 */
import type { SimulatorOptions } from './index.ts';

/** One command-line flag and how its value lands in {@link SimulatorOptions}. */
export interface SimulatorFlag {
  /** Without the leading `--`. */
  name: string;
  /** Placeholder of the value in the usage (`N`, `ISO`); absent for a switch that takes none. */
  value?: string;
  /** The default, as shown to a user. */
  defaultText: string;
  meaning: string;
  /** Sets the options from the raw value (`''` for a switch); returns an error text for a malformed one. */
  apply(raw: string, options: SimulatorOptions): string | undefined;
}

type Setter<T> = (options: SimulatorOptions, value: T) => void;

/** A value flag whose text `read` turns into a value, or undefined when malformed (`expected` says what it takes). */
function valueFlag<T>(
  name: string,
  value: string,
  defaultText: string,
  meaning: string,
  expected: string,
  read: (raw: string) => T | undefined,
  set: Setter<T>,
): SimulatorFlag {
  return {
    name,
    value,
    defaultText,
    meaning,
    apply(raw, options) {
      const parsed = read(raw);
      if (parsed === undefined) return `--${name}: expected ${expected}, got '${raw}'`;
      set(options, parsed);
      return undefined;
    },
  };
}

/** A switch: present means on. */
function switchFlag(name: string, meaning: string, set: (options: SimulatorOptions) => void): SimulatorFlag {
  return {
    name,
    defaultText: 'off',
    meaning,
    apply(_raw, options) {
      set(options);
      return undefined;
    },
  };
}

const numberIn = (raw: string, min: number, max: number, integer: boolean): number | undefined => {
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return undefined;
  return n;
};
const count = (raw: string) => numberIn(raw, 0, Number.MAX_SAFE_INTEGER, true);
const signedMs = (raw: string) => numberIn(raw, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
const share = (raw: string) => numberIn(raw, 0, 1, false);
const text = (raw: string) => (raw === '' ? undefined : raw);
const isoDate = (raw: string) => (Number.isNaN(Date.parse(raw)) ? undefined : raw);
const offOnly = (raw: string) => (raw === 'off' ? true : undefined);

/** `median[,p99]` in ms: the p99 must not be below the median. */
function latencyProfile(raw: string): SimulatorOptions['latency'] {
  const parts = raw.split(',');
  if (parts.length > 2) return undefined;
  const [medianMs, p99Ms] = parts.map(count);
  if (medianMs === undefined || (parts.length === 2 && (p99Ms === undefined || p99Ms < medianMs))) return undefined;
  return parts.length === 2 ? { medianMs, p99Ms } : { medianMs };
}

/** Comma-separated activity type ids or names; an all-digit item is an id. */
function typeList(raw: string): (string | number)[] | undefined {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) return undefined;
  return items.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Every flag of `npm run simulator`, in usage order. */
export const SIMULATOR_FLAGS: readonly SimulatorFlag[] = [
  valueFlag(
    'port',
    'P',
    '`0` (a free port)',
    'port to listen on',
    'a port number',
    (r) => numberIn(r, 0, 65535, true),
    (o, v) => {
      o.port = v;
    },
  ),
  valueFlag(
    'host',
    'H',
    '`127.0.0.1`',
    'interface to listen on (a container serving others needs `0.0.0.0`)',
    'a host',
    text,
    (o, v) => {
      o.host = v;
    },
  ),
  valueFlag('seed', 'S', '`1`', "the world's seed", 'a whole number', count, (o, v) => {
    o.seed = v;
  }),
  valueFlag('leads', 'N', '`1000`', 'leads in the world', 'a whole number', count, (o, v) => {
    o.leads = v;
  }),
  valueFlag(
    'activities',
    'N',
    '`100000`',
    'random activities (lead events come on top)',
    'a whole number',
    count,
    (o, v) => {
      o.activities = v;
    },
  ),
  valueFlag('programs', 'N', '`40`', 'programs in the world', 'a whole number', count, (o, v) => {
    o.programs = v;
  }),
  valueFlag('campaigns', 'N', '`80`', 'smart campaigns in the world', 'a whole number', count, (o, v) => {
    o.campaigns = v;
  }),
  valueFlag(
    'start',
    'ISO',
    '`2025-01-01T00:00:00Z`',
    'start of the period the world covers',
    'an ISO date',
    isoDate,
    (o, v) => {
      o.start = v;
    },
  ),
  valueFlag(
    'end',
    'ISO',
    '`2025-12-31T23:59:59Z`',
    'end of the period the world covers',
    'an ISO date',
    isoDate,
    (o, v) => {
      o.end = v;
    },
  ),
  valueFlag('now', 'ISO', 'the end', "the simulator clock's first reading", 'an ISO date', isoDate, (o, v) => {
    o.now = v;
  }),
  switchFlag('frozen', 'the clock moves only when told (admin API); otherwise it ticks with real time', (o) => {
    o.clock = 'frozen';
  }),
  valueFlag(
    'clock-skew-ms',
    'MS',
    '`0`',
    "Marketo's clock minus its client's (negative: the client is ahead)",
    'a whole number of ms',
    signedMs,
    (o, v) => {
      o.clockSkewMs = v;
    },
  ),
  valueFlag('client-id', 'X', '`sim-client`', 'the client id identity accepts', 'a client id', text, (o, v) => {
    o.clientId = v;
  }),
  valueFlag(
    'client-secret',
    'Y',
    '`sim-secret`',
    'the client secret identity accepts',
    'a client secret',
    text,
    (o, v) => {
      o.clientSecret = v;
    },
  ),
  valueFlag(
    'instance',
    'NAME',
    '`123-SIM-456`',
    'the instance name (in tokens and ground truth)',
    'a name',
    text,
    (o, v) => {
      o.instance = v;
    },
  ),
  valueFlag(
    'token-api-lead-ms',
    'MS',
    '`0`',
    'the REST API rejects a token this long before identity stops handing it back (601/602 twice)',
    'a whole number of ms',
    count,
    (o, v) => {
      o.tokenApiLeadMs = v;
    },
  ),
  valueFlag(
    'limits',
    'off',
    'on',
    'no 606, 615 or 607 (the rate, in-flight and daily limits are off)',
    "'off'",
    offOnly,
    (o) => {
      o.limits = { ...o.limits, ratePer20s: false, maxInFlight: false, dailyQuota: false };
    },
  ),
  valueFlag(
    'reset-late-seconds',
    'S',
    '`0`',
    'the daily quota resets this long after midnight America/Chicago',
    'a whole number of seconds',
    count,
    (o, v) => {
      o.limits = { ...o.limits, resetLateSeconds: v };
    },
  ),
  valueFlag('quirks', 'off', 'on', 'no short or empty pages', "'off'", offOnly, (o) => {
    o.quirks = { shortPageRate: 0, emptyPageRate: 0 };
  }),
  valueFlag(
    'latency-ms',
    'MEDIAN[,P99]',
    'none',
    'real-time latency of every REST and bulk call: fixed, or log-normal with that p99',
    'median[,p99] in whole ms, p99 ≥ median',
    latencyProfile,
    (o, v) => {
      o.latency = v;
    },
  ),
  valueFlag(
    'missing-types',
    'IDS',
    'none',
    'activity types (ids or names, comma-separated) the instance lacks: `types.json` leaves them out',
    'comma-separated type ids or names',
    typeList,
    (o, v) => {
      o.missingActivityTypes = v;
    },
  ),
  valueFlag('late-rate', 'R', '`0.01`', 'share of activities visible late', 'a share in 0..1', share, (o, v) => {
    o.lateArrivalRate = v;
  }),
  valueFlag(
    'late-max-minutes',
    'M',
    '`50`',
    'longest lag of a late arrival (at least 2)',
    'a number of minutes ≥ 2',
    (r) => numberIn(r, 2, Number.MAX_SAFE_INTEGER, false),
    (o, v) => {
      o.lateArrivalMaxMs = v * 60_000;
    },
  ),
  valueFlag(
    'scan-cap',
    'N',
    '`3000`',
    'activity-log positions one dated call looks at',
    'a whole number ≥ 1',
    (r) => numberIn(r, 1, Number.MAX_SAFE_INTEGER, true),
    (o, v) => {
      o.scanCap = v;
    },
  ),
  valueFlag(
    'deleted-lead-rate',
    'R',
    '`0.02`',
    'share of leads deleted or merged away',
    'a share in 0..1',
    share,
    (o, v) => {
      o.deletedLeadRate = v;
    },
  ),
  valueFlag(
    'paging-token-ttl-ms',
    'MS',
    'unlimited',
    '`nextPageToken` lifetime (simulator ms)',
    'a whole number of ms',
    count,
    (o, v) => {
      o.pagingTokenTtlMs = v;
    },
  ),
  switchFlag('numeric-guids', 'every `marketoGUID` is its activity id as text (off: UUID-like)', (o) => {
    o.numericGuids = true;
  }),
  valueFlag(
    'bulk-processing-ms',
    'MS',
    '`30000`',
    "a bulk job's base duration (simulator ms)",
    'a whole number of ms',
    count,
    (o, v) => {
      o.bulkProcessingMs = v;
    },
  ),
  valueFlag(
    'bulk-processing-ms-per-mb',
    'MS',
    '`5000`',
    "a bulk job's extra duration per MB of its file (simulator ms)",
    'a whole number of ms',
    count,
    (o, v) => {
      o.bulkProcessingMsPerMb = v;
    },
  ),
  switchFlag('bulk-noise', 'bulk activity files carry NUL bytes and stray CRs now and then', (o) => {
    o.bulkNoise = true;
  }),
];

/** What the command line asks for. */
export type SimulatorCommand =
  | { kind: 'help'; usage: string }
  | { kind: 'run'; options: SimulatorOptions }
  | { kind: 'error'; message: string };

/** Exit code for a bad command line (as getopt-style tools use). */
export const USAGE_EXIT_CODE = 2;

const flagByName = new Map(SIMULATOR_FLAGS.map((f) => [f.name, f]));

const synopsis = (f: SimulatorFlag) => `--${f.name}${f.value ? ` ${f.value}` : ''}`;
const plain = (s: string) => s.replaceAll('`', '');

/** The `--help` text: one line per flag with its default. */
export function simulatorUsage(): string {
  const width = Math.max(...SIMULATOR_FLAGS.map((f) => synopsis(f).length));
  const lines = SIMULATOR_FLAGS.map(
    (f) => `  ${synopsis(f).padEnd(width)}  ${plain(f.meaning)} (default: ${plain(f.defaultText)})`,
  );
  return [
    'Usage: npm run simulator -- [flags]   (--flag value or --flag=value)',
    'Runs the Marketo simulator; prints one JSON line {url, identityUrl, restUrl, bulkUrl, clientId,',
    'clientSecret, instance} and stays up until SIGTERM/SIGINT.',
    '',
    `  ${'--help'.padEnd(width)}  this text`,
    ...lines,
    '',
  ].join('\n');
}

/** The README's flag table (Markdown), built from the same list. */
export function simulatorFlagTable(): string {
  return [
    '| flag | default | meaning |',
    '|---|---|---|',
    '| `--help` | | prints the usage and exits |',
    ...SIMULATOR_FLAGS.map((f) => `| \`${synopsis(f)}\` | ${f.defaultText} | ${f.meaning} |`),
  ].join('\n');
}

/**
 * Parses the simulator's argv (without node and the script): `--help` anywhere wins; an unknown
 * flag, a positional argument, a missing or malformed value is an error naming the flag.
 */
export function parseSimulatorArgs(argv: readonly string[]): SimulatorCommand {
  if (argv.includes('--help')) return { kind: 'help', usage: simulatorUsage() };
  const options: SimulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) return { kind: 'error', message: `unexpected argument '${arg}'` };
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const flag = flagByName.get(name);
    if (!flag) return { kind: 'error', message: `unknown flag '--${name}'` };
    let raw: string;
    if (flag.value === undefined) {
      if (eq !== -1) return { kind: 'error', message: `--${name} takes no value` };
      raw = '';
    } else if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined) return { kind: 'error', message: `--${name} needs a value (${flag.value})` };
      raw = next;
      i++;
    }
    const problem = flag.apply(raw, options);
    if (problem) return { kind: 'error', message: problem };
  }
  return { kind: 'run', options };
}
