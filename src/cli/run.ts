import { loadConfig, secretValues } from '../config/index.ts';
import { installKafkaReauthGuard } from '../kafka/index.ts';
import { createLogger, routeProcessWarnings } from '../log.ts';
import { TerminalBlock } from '../progress/index.ts';
import { runService } from '../service.ts';
import { stopOnSignals } from '../shutdown.ts';
import type { CliIo } from './context.ts';
import { ExitCode, parseCommand } from './usage.ts';

export const RUN_USAGE = `marketo-stream run [--until-caught-up]
  Runs the service (what npm start runs) until SIGTERM or SIGINT; with --until-caught-up, until
  every stream of every connection has reached the present. Exit codes: 0 done, 1 a connection failed.`;

/**
 * The service: every configured connection in this process, with /metrics, /livez and /readyz on
 * METRICS_PORT. SIGTERM and SIGINT stop it gracefully (see stopOnSignals).
 */
export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(args, { 'until-caught-up': { type: 'boolean', default: false } });
  const config = loadConfig(io.env);
  // On a terminal the backfill's progress is a block kept under the log lines.
  const progress = process.stderr.isTTY ? new TerminalBlock(process.stderr) : undefined;
  const logger = createLogger({
    destination: progress?.stream(),
    level: config.logLevel,
    format: config.logFormat,
    secrets: secretValues(config),
  });
  routeProcessWarnings(logger);
  installKafkaReauthGuard(logger);
  const controller = new AbortController();
  const stopHandlers = stopOnSignals({ controller, logger });
  try {
    let results: Awaited<ReturnType<typeof runService>>;
    try {
      results = await runService({
        config,
        logger,
        signal: controller.signal,
        untilCaughtUp: values['until-caught-up'],
        progress,
      });
    } catch (err) {
      // Start-up failures (Redis or Kafka refusing the credentials, …) end the process with a clear line.
      logger.fatal({ err }, `marketo-stream could not start: ${(err as Error).message}`);
      return ExitCode.FAILED;
    }
    let failed = false;
    for (const [id, r] of Object.entries(results)) {
      if (r.error) {
        failed = true;
        logger.error({ connection: id, err: r.error }, 'connection failed');
      } else logger.info({ connection: id, ...r.stats }, 'connection done');
    }
    return failed ? ExitCode.FAILED : ExitCode.OK;
  } finally {
    stopHandlers();
  }
}
