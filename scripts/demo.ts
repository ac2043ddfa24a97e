/**
 * `npm run demo`: brings up the local stack (unless KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
 * REDIS_URL name running services), starts the Marketo simulator with a seeded world, runs the
 * service until it has caught up, and prints what landed: records per topic and one decoded
 * record of each kind.
 */
import { startSimulator } from '../simulator/index.ts';
import { parseConfig, serviceSettingsFromEnv } from '../src/config/index.ts';
import { createKafka, readTopic, topicNames } from '../src/kafka/index.ts';
import { createLogger, routeProcessWarnings } from '../src/log.ts';
import { registryClientOptions } from '../src/schemas/index.ts';
import { runService } from '../src/service.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';

const services = endpointsFromEnv() ?? startLocalStack();
const sim = await startSimulator({
  seed: 2026,
  leads: 2_000,
  activities: 40_000,
  start: '2026-06-01T00:00:00Z',
  end: '2026-11-01T00:00:00Z',
  now: '2026-11-01T00:00:00Z',
  instance: '123-ABC-456',
});
const prefix = `demo-${Date.now().toString(36)}`;
// TLS, SASL and credentials from the same variables as the service (KAFKA_SSL, KAFKA_SASL_*, …).
const secured = serviceSettingsFromEnv();
const config = parseConfig({
  kafka: { ...secured.kafka, brokers: services.kafkaBrokers.split(','), topicPrefix: prefix, partitions: 3 },
  schemaRegistry: { ...secured.schemaRegistry, url: services.schemaRegistryUrl },
  redis: { ...secured.redis, url: services.redisUrl },
  logLevel: 'info',
  connections: [
    {
      id: prefix,
      instance: sim.instance,
      baseUrl: sim.url,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      startDate: '2026-06-01T00:00:00Z',
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
});

const logger = createLogger({ level: 'info' });
routeProcessWarnings(logger);
console.log(
  `Simulated Marketo at ${sim.url}; topics ${prefix}.*; backfilling from ${config.connections[0]!.startDate}…`,
);
const started = performance.now();
const result = await runService({ config, logger, signal: new AbortController().signal, untilCaughtUp: true });
const seconds = (performance.now() - started) / 1000;
await sim.close();
const failed = Object.entries(result).filter(([, r]) => r.error);
if (failed.length > 0) {
  for (const [id, r] of failed) console.error(`connection ${id} failed: ${r.error?.message}`);
  process.exit(1);
}

const kafka = createKafka(config.kafka);
const { registry } = registryClientOptions(config.schemaRegistry);
const topics = topicNames(prefix);
console.log(`\nDone in ${seconds.toFixed(1)} s. What landed (read_committed):`);
for (const topic of [
  topics.activities,
  topics.leads,
  topics.programs,
  topics.campaigns,
  topics.dlq,
  topics.checkpoints,
]) {
  let count = 0;
  let sample: { key: string; value: Buffer | null; headers: Record<string, string> } | undefined;
  await readTopic(kafka, topic, {
    onMessage: (m) => {
      count++;
      if (!sample && m.value) {
        const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]));
        sample = { key: m.key?.toString() ?? '', value: m.value, headers };
      }
    },
  });
  console.log(`  ${topic.padEnd(40)} ${String(count).padStart(8)} records`);
  if (sample?.value && topic !== topics.checkpoints && topic !== topics.dlq) {
    const value = await registry.decode(sample.value);
    console.log(`    e.g. key ${sample.key}, headers ${JSON.stringify(sample.headers)}`);
    console.log(`    ${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 600)}`);
  }
}
process.exit(0);
