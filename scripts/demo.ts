/**
 * `npm run demo`: brings up the local stack (unless KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
 * REDIS_URL name running services), starts the Marketo simulator with a seeded world, runs the
 * service (src/main.ts, as a user does) until it has caught up while showing its progress, then
 * prints what landed per topic (one decoded record each) and what to run next. The service's JSON
 * log goes to demo.log (or DEMO_LOG), never to the terminal; the stack is left running. Exits 1 when a connection failed, a topic that should hold
 * records is empty, or an error-level line reached the log.
 */
import { openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../simulator/index.ts';
import { parseConfig, serviceSettingsFromEnv } from '../src/config/index.ts';
import { createKafka, topicNames } from '../src/kafka/index.ts';
import { createLogger, routeProcessWarnings } from '../src/log.ts';
import { connectRedis } from '../src/redis/index.ts';
import { registryClientOptions } from '../src/schemas/index.ts';
import {
  endpointsFromEnv,
  type ServiceEndpoints,
  stackEndpointsFile,
  startLocalStack,
} from '../test/support/services.ts';
import { backfillSpend, formatBackfillSpend } from './demo/backfill-summary.ts';
import { formatLanded, summarizeTopic } from './demo/landed.ts';
import { num, watchProgress } from './demo/progress.ts';
import { runServiceProcess, runTotalsFromLog, type ServiceExit } from './demo/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOG_FILE = path.resolve(process.env.DEMO_LOG ?? path.join(ROOT, 'demo.log'));
const DAY = 86_400_000;
// The world ends now: the simulator's clock and the service's agree (bulk files expire after 7 days on both).
const NOW = new Date(Math.floor(Date.now() / DAY) * DAY);
const WORLD = {
  seed: 2026,
  leads: 2_000,
  activities: 40_000,
  start: new Date(NOW.getTime() - 153 * DAY).toISOString(),
  end: NOW.toISOString(),
};
// The stack script's variables a user may have set; repeated in the "stop the stack" hint.
const STACK_VARIABLES = ['STACK_DIR', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'REGISTRY_PORT', 'REDIS_PORT'];

const out = (line = '') => process.stdout.write(`${line}\n`);
const relative = (p: string) => (p.startsWith(ROOT) ? path.relative(process.cwd(), p) || '.' : p);
const width = process.stdout.columns ?? 160;

// The demo's own log lines (its Kafka reads), written synchronously so none is lost at exit.
// Truncated, then opened for appending: the service process writes to the same file.
writeFileSync(LOG_FILE, '');
const logFd = openSync(LOG_FILE, 'a');
const logDestination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    writeSync(logFd, chunk);
    done();
  },
});
const logger = createLogger({ level: 'info', destination: logDestination });
routeProcessWarnings(logger);

out('marketo-stream demo: a simulated Marketo instance streamed into Kafka, exactly once');
out(`  log        ${relative(LOG_FILE)} (the service's JSON log lines; none on this terminal)`);

const fromEnv = endpointsFromEnv();
let services: ServiceEndpoints;
if (fromEnv) {
  services = fromEnv;
  out('  stack      the services named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL');
} else {
  out('  stack      starting the local stack (scripts/stack.sh up; the first run downloads Kafka and Apicurio)…');
  try {
    services = startLocalStack();
  } catch (err) {
    // scripts/stack.sh has already shown the failing service's log tail on stderr.
    out(`The local stack did not start: ${(err as Error).message.split('\n')[0]}`);
    process.exit(1);
  }
  out(
    `  stack      up; endpoints in ${relative(stackEndpointsFile())}, tool logs in ${relative(path.dirname(stackEndpointsFile()))}/run/`,
  );
}
out(`  kafka      ${services.kafkaBrokers}`);
out(`  registry   ${services.schemaRegistryUrl}`);
out(`  redis      ${services.redisUrl}`);

// Bulk export jobs take seconds here (Marketo's take minutes), and are polled accordingly (see `bulk` below).
const sim = await startSimulator({
  ...WORLD,
  now: WORLD.end,
  instance: '123-ABC-456',
  bulkProcessingMs: 2_000,
  bulkProcessingMsPerMb: 1_000,
});
out(
  `  simulator  ${sim.url} (instance ${sim.instance}; ${num(WORLD.leads)} leads, ${num(WORLD.activities)} random activities from ${WORLD.start.slice(0, 10)} to ${WORLD.end.slice(0, 10)}, seed ${WORLD.seed})`,
);
const prefix = `demo-${Date.now().toString(36)}`;
const topics = topicNames(prefix);
out(`  topics     ${prefix}.* (3 partitions each); connection id ${prefix}`);
// The configuration a user would put in CONFIG_FILE (see the README), for the simulated instance.
const config = {
  kafka: { brokers: services.kafkaBrokers.split(','), topicPrefix: prefix, partitions: 3 },
  schemaRegistry: { url: services.schemaRegistryUrl },
  redis: { url: services.redisUrl },
  logLevel: 'info' as const,
  bulk: { pollMinSeconds: 2 },
  connections: [
    {
      id: prefix,
      instance: sim.instance,
      baseUrl: sim.url,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      startDate: WORLD.start,
      leadFields: [
        'email',
        'firstName',
        'lastName',
        'company',
        'industryVertical',
        'leadScore__c',
        'dealSize__c',
        'isCustomer__c',
        'lastDemoDate__c',
        'lastEngagedAt__c',
      ],
      ratePer20s: 100,
    },
  ],
};
out('  service    node src/main.ts --until-caught-up, with that configuration as its CONFIG_FILE');

// The demo's own clients take TLS, SASL and credentials from the same variables as the service
// (KAFKA_SSL, KAFKA_SASL_*, …); the service inherits them from the environment, so the
// CONFIG_FILE above holds no secret.
const secured = serviceSettingsFromEnv();
const settings = parseConfig({
  ...config,
  kafka: { ...secured.kafka, ...config.kafka },
  schemaRegistry: { ...secured.schemaRegistry, ...config.schemaRegistry },
  redis: { ...secured.redis, ...config.redis },
});
const kafka = createKafka(settings.kafka, logger);
const redis = await connectRedis(settings.redis, logger, { maxRetriesPerRequest: 5 });
const admin = kafka.admin();
const problems: string[] = [];
let exitCode = 0;
try {
  await admin.connect();
  out();
  out(
    `Backfilling ${WORLD.start.slice(0, 10)} → now (pages committed, records in Kafka, Marketo calls, dates reached):`,
  );
  const dataTopics = [topics.activities, topics.leads, topics.programs, topics.campaigns];
  const progress = watchProgress({
    redis,
    admin,
    logger,
    connection: prefix,
    dataTopics,
    calls: () => sim.counts().total.counted,
    out: process.stdout,
  });
  const started = performance.now();
  let exit: ServiceExit;
  try {
    exit = await runServiceProcess(config, logFd);
  } finally {
    await progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (exit.code !== 0) {
    problems.push(
      `the service exited with ${exit.signal ?? `code ${exit.code}`} (1: a connection failed, 2: bad configuration)`,
    );
  }
  const totals = runTotalsFromLog(readFileSync(LOG_FILE, 'utf8'));
  out(
    `${exit.code === 0 ? 'Caught up' : 'The service stopped'} after ${seconds.toFixed(1)} s: ${num(totals?.pages ?? 0)} pages, ${num(totals?.published ?? 0)} records published, ${num(sim.counts().total.counted)} Marketo calls.`,
  );
  out(formatBackfillSpend(await backfillSpend(redis, prefix), settings.backfill.method, sim.counts().total.counted));
  out();
  out('What landed (read as a read_committed consumer; values decoded with the registry):');
  const { registry } = registryClientOptions(settings.schemaRegistry);
  const expected = [...dataTopics, topics.checkpoints];
  const summaries = [];
  for (const topic of [...dataTopics, topics.dlq, topics.checkpoints]) {
    const summary = await summarizeTopic(kafka, registry, topic, {
      values: dataTopics.includes(topic) ? 'avro' : 'json',
    });
    if (summary.records === 0 && expected.includes(topic)) problems.push(`${topic} is empty`);
    summaries.push(summary);
  }
  for (const line of formatLanded(summaries, width)) out(line);
} catch (err) {
  problems.push(`the demo stopped: ${(err as Error).message}`);
} finally {
  await sim.close();
  await admin.disconnect().catch(() => {});
  redis.disconnect();
}

const errorLines = readFileSync(LOG_FILE, 'utf8')
  .split('\n')
  .filter((line) => /"level":(5|6)\d/.test(line));
if (errorLines.length > 0) {
  problems.push(
    `${errorLines.length} error-level line(s) in ${relative(LOG_FILE)}, the first: ${describeLogLine(errorLines[0] ?? '')}`,
  );
}
out();
if (problems.length > 0) {
  exitCode = 1;
  out('Something went wrong:');
  for (const p of problems) out(`  - ${p}`);
  out(`  The service's log is ${relative(LOG_FILE)}.`);
} else {
  out('No errors: every connection caught up, every topic holds records, no error-level log line.');
}
const stackEnv = STACK_VARIABLES.filter((v) => process.env[v])
  .map((v) => `${v}=${process.env[v]} `)
  .join('');
out();
out('What to run next:');
const next: [string, string][] = [
  ['npm test', `unit and integration tests (against ${fromEnv ? 'the services in your environment' : 'this stack'})`],
  [
    `less ${relative(LOG_FILE)}`,
    `this run's JSON log (pino); grep '"level":40' ${relative(LOG_FILE)} shows its warnings`,
  ],
  [
    `redis-cli -u ${services.redisUrl} --scan --pattern 'mkto:{${prefix}}:*'`,
    "this connection's cursors and lease in Redis",
  ],
  fromEnv
    ? ['', 'the demo did not start these services and leaves them as they were']
    : [`${stackEnv}npm run stack:down`, 'stops the local stack (the demo leaves it running for the commands above)'],
  ['CONFIG_FILE=my-config.json npm start', 'the service on your own Marketo (or MARKETO_* variables; see the README)'],
];
for (const [command, what] of next) {
  if (command.length <= 38) out(`  ${command.padEnd(38)}  ${what}`);
  else out(`  ${command}\n  ${''.padEnd(38)}  ${what}`);
}
process.exit(exitCode);

/** A JSON log line as `msg: error message` (the raw line, cut short, when it is not JSON). */
function describeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string }; error?: string };
    return [entry.msg, entry.err?.message ?? entry.error].filter(Boolean).join(': ');
  } catch {
    return line.slice(0, 200);
  }
}
