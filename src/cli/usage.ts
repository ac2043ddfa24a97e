import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A command line the CLI cannot accept; its message names the argument. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of every command: done, failed, wrong arguments or configuration. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs in strict mode, its errors turned into UsageError naming the argument:
 * an unknown option, a missing value, or more positional arguments than `positionals` names.
 */
export function parseCommand<O extends Options>(
  args: readonly string[],
  options: O,
  positionals: readonly string[] = [],
): { values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values']; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs's own messages already name the option (e.g. "Unknown option '--x'").
    throw new UsageError((err as Error).message.split('. To specify')[0] ?? String(err));
  }
  if (parsed.positionals.length > positionals.length) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.length]}'`);
  }
  for (const [i, name] of positionals.entries()) {
    if (parsed.positionals[i] === undefined) throw new UsageError(`missing argument <${name}>`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** `value` as a non-negative integer, or a UsageError naming `name`. */
export function nonNegativeInteger(value: string, name: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${name} must be a non-negative integer, got '${value}'`);
  }
  return Number(value);
}

/** `value` as a positive number, or a UsageError naming `name`. */
export function positiveNumber(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${name} must be a positive number, got '${value}'`);
  }
  return n;
}

/** `value` if it is one of `allowed`, else a UsageError naming `name` and the choices. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}
