import { parseArgs } from 'node:util';
import { loadConfig, secretValues } from './config/index.ts';
import { MarketoStreamError } from './errors.ts';
import { installKafkaReauthGuard } from './kafka/index.ts';
import { createLogger, routeProcessWarnings } from './log.ts';
import { runService } from './service.ts';

/**
 * Entry point: `node src/main.ts [--until-caught-up]`. Configuration comes from the environment
 * and an optional CONFIG_FILE (see README). Exit codes: 0 done, 1 a connection failed, 2 bad config.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'until-caught-up': { type: 'boolean', default: false } } });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof MarketoStreamError) {
      process.stderr.write(`marketo-stream: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
  routeProcessWarnings(logger);
  installKafkaReauthGuard(logger);
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      logger.info({ signal: sig }, 'stopping after the current page');
      controller.abort();
    });
  }
  let results: Awaited<ReturnType<typeof runService>>;
  try {
    results = await runService({ config, logger, signal: controller.signal, untilCaughtUp: values['until-caught-up'] });
  } catch (err) {
    // Start-up failures (Redis or Kafka refusing the credentials, …) end the process with a clear line.
    logger.fatal({ err }, `marketo-stream could not start: ${(err as Error).message}`);
    return 1;
  }
  let failed = false;
  for (const [id, r] of Object.entries(results)) {
    if (r.error) {
      failed = true;
      logger.error({ connection: id, err: r.error }, 'connection failed');
    } else logger.info({ connection: id, ...r.stats }, 'connection done');
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
