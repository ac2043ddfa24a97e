import { runCli } from './cli/cli.ts';

/**
 * The service's entry point (`npm start`, `node src/main.ts [--until-caught-up]`): the CLI's `run`
 * command. Configuration comes from the environment and an optional CONFIG_FILE (see README).
 * Exit codes: 0 done, 1 a connection failed, 2 bad configuration.
 */
process.exitCode = await runCli(['run', ...process.argv.slice(2)]);
