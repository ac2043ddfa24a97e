import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { createMetrics, type Metrics, noopMetrics } from '../metrics/index.ts';
import { readStatus } from '../status/index.ts';
import { kafkaCheck, redisCheck, registryCheck } from './readiness.ts';
import { startHttpServer } from './server.ts';

/** The service's metrics and the server that exposes them. */
export interface ServiceEndpoints {
  /** What the service's code counts into (no-op when the endpoints are off). */
  metrics: Metrics;
  /** The port served on, undefined when `metricsPort` is 0. */
  port?: number;
  /** Stops serving. */
  close(): Promise<void>;
}

/**
 * Serves /metrics, /livez and /readyz on `config.metricsPort` (0: nothing is served and the
 * metrics are a no-op): the service's metrics on a registry of its own, the Redis-held gauges read
 * through `readStatus`, readiness of Redis, Kafka and the schema registry.
 */
export async function serveEndpoints(o: {
  config: Readonly<Config>;
  kafka: Kafka;
  redis: Redis;
  clock: Clock;
  logger: Logger;
}): Promise<ServiceEndpoints> {
  if (o.config.metricsPort === 0) return { metrics: noopMetrics, close: async () => {} };
  const registry = new Registry();
  const metrics = createMetrics({ registry, snapshot: () => readStatus(o) });
  const kafka = kafkaCheck(o.kafka);
  const server = await startHttpServer({
    port: o.config.metricsPort,
    registry,
    readiness: { redis: redisCheck(o.redis), kafka, schemaRegistry: registryCheck(o.config.schemaRegistry.url) },
    logger: o.logger,
  });
  return {
    metrics,
    port: server.port,
    close: async () => {
      await server.close();
      await kafka.close();
    },
  };
}
