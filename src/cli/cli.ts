import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { createLogger, routeProcessWarnings } from '../log.ts';
import { CONNECTIONS_USAGE, connectionsCommand } from './connections.ts';
import { CliContext, type CliIo } from './context.ts';
import { CURSOR_USAGE, cursorCommand } from './cursor.ts';
import { QUOTA_USAGE, quotaCommand } from './quota.ts';
import { REPLAY_USAGE, replayCommand } from './replay.ts';
import { RUN_USAGE, runCommand } from './run.ts';
import { STATUS_USAGE, statusCommand } from './status.ts';
import { ExitCode, UsageError } from './usage.ts';

type Command = (args: readonly string[], io: CliIo, ctx: () => CliContext) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  run: { run: runCommand, usage: RUN_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  cursor: { run: cursorCommand, usage: CURSOR_USAGE },
  quota: { run: quotaCommand, usage: QUOTA_USAGE },
  replay: { run: replayCommand, usage: REPLAY_USAGE },
  connections: { run: connectionsCommand, usage: CONNECTIONS_USAGE },
};

const USAGE = `usage: marketo-stream <command> [arguments]

commands:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n\n')}

Configuration is the service's own: environment variables over an optional CONFIG_FILE (see README).
Exit codes: 0 done, 1 failed, 2 wrong arguments or configuration.`;

/**
 * `marketo-stream <command> …`: dispatches to one command and returns its exit code. A wrong
 * argument or a bad configuration prints a message naming it and returns 2; other failures print
 * their message and return 1.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`marketo-stream: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return ExitCode.USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return ExitCode.OK;
  }
  let context: CliContext | undefined;
  // Commands log warnings and errors only: their output is what they print.
  const ctx = () => {
    context ??= CliContext.load(io, (config) => {
      const logger = createLogger({ level: config.logLevel === 'silent' ? 'silent' : 'warn' });
      routeProcessWarnings(logger);
      return logger;
    });
    return context;
  };
  try {
    return await command.run(args, io, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`marketo-stream ${name}: ${err.message}\n\n${command.usage}\n`);
      return ExitCode.USAGE;
    }
    if (err instanceof MarketoStreamError && err.code === ErrorCodes.CONFIG_INVALID) {
      io.stderr.write(`marketo-stream: ${err.message}\n`);
      return ExitCode.USAGE;
    }
    const why = context ? context.explain(err) : err instanceof Error ? err.message : String(err);
    io.stderr.write(`marketo-stream ${name}: ${why}\n`);
    return ExitCode.FAILED;
  } finally {
    await context?.close();
  }
}
