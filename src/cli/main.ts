import { runCli } from './cli.ts';

/**
 * Entry of `bin/marketo-stream`. The service (`run`) ends when its work ends; the other commands
 * exit as soon as they are done, whatever client sockets are still closing.
 */
const argv = process.argv.slice(2);
const code = await runCli(argv);
if (argv[0] === 'run') process.exitCode = code;
else process.exit(code);
