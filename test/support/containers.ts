import { GenericContainer, Network, type StartedTestContainer, Wait } from 'testcontainers';
import type { ServiceEndpoints } from './services.ts';

/**
 * The same three services as docker-compose.yml, started with testcontainers (for machines with a
 * container engine). Returns the endpoints and a function that stops them.
 */
export async function startContainers(): Promise<{ endpoints: ServiceEndpoints; stop: () => Promise<void> }> {
  const network = await new Network().start();
  const kafka = await new GenericContainer('apache/kafka:4.4.0')
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:9092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.3.3')
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  const started: StartedTestContainer[] = [kafka, registry, redis];
  return {
    endpoints: {
      kafkaBrokers: 'localhost:9092',
      schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    },
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
      await network.stop();
    },
  };
}
