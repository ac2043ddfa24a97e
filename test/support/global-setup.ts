import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { createKafka } from '../../src/kafka/index.ts';
import { containerRuntimeAnswers, endpointsFromEnv, type ServiceEndpoints, startLocalStack } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceEndpoints;
  }
}

/**
 * Integration tests get real services: the environment's endpoints when given, else containers
 * when a container engine answers, else the local stack (scripts/stack.sh). Every service must
 * answer before a test runs; a missing one fails the run (it is never skipped).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop = async () => {};
  let services = endpointsFromEnv();
  if (!services) {
    if (await containerRuntimeAnswers()) {
      const { startContainers } = await import('./containers.ts');
      const started = await startContainers();
      services = started.endpoints;
      stop = started.stop;
    } else {
      // test/security needs the secured services too.
      services = startLocalStack(process.env, { secure: true });
    }
  }
  await assertReachable(services);
  process.env.KAFKA_BROKERS = services.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = services.schemaRegistryUrl;
  process.env.REDIS_URL = services.redisUrl;
  project.provide('services', services);
  return stop;
}

async function assertReachable(s: ServiceEndpoints): Promise<void> {
  const problems: string[] = [];
  const redis = new Redis(s.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    if ((await redis.ping()) !== 'PONG') problems.push(`Redis at ${s.redisUrl} did not answer PING`);
  } catch (err) {
    problems.push(`Redis at ${s.redisUrl}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
  try {
    const res = await fetch(`${s.schemaRegistryUrl}/subjects`);
    if (!res.ok) problems.push(`Schema registry at ${s.schemaRegistryUrl}: HTTP ${res.status}`);
  } catch (err) {
    problems.push(`Schema registry at ${s.schemaRegistryUrl}: ${(err as Error).message}`);
  }
  const admin = createKafka({ clientId: 'marketo-stream-test', brokers: s.kafkaBrokers.split(',') }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    problems.push(`Kafka at ${s.kafkaBrokers}: ${(err as Error).message}`);
  } finally {
    await admin.disconnect();
  }
  if (problems.length > 0) throw new Error(`Integration services unreachable:\n- ${problems.join('\n- ')}`);
}
