/**
 * Runs the simulator on its own: `node simulator/cli.ts [flags]` (`--help` lists them; see
 * cli-flags.ts). Prints one JSON line {url, identityUrl, restUrl, bulkUrl, clientId, clientSecret,
 * instance} and stays up until SIGTERM/SIGINT. A bad command line exits 2 naming the flag.
 */
import { parseSimulatorArgs, USAGE_EXIT_CODE } from './cli-flags.ts';
import { startSimulator } from './index.ts';

const command = parseSimulatorArgs(process.argv.slice(2));
if (command.kind === 'help') {
  process.stdout.write(command.usage);
  process.exit(0);
}
if (command.kind === 'error') {
  process.stderr.write(`simulator: ${command.message} (see --help)\n`);
  process.exit(USAGE_EXIT_CODE);
}
const sim = await startSimulator(command.options);
process.stdout.write(
  `${JSON.stringify({
    url: sim.url,
    identityUrl: `${sim.url}/identity`,
    restUrl: `${sim.url}/rest`,
    bulkUrl: `${sim.url}/bulk`,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    instance: sim.instance,
  })}\n`,
);
const stop = () => {
  sim.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
