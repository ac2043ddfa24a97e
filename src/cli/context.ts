import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { type Clock, systemClock } from '../clock.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { createKafka } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { createRedis } from '../redis/index.ts';
import { registryClientOptions } from '../schemas/index.ts';

/** Where a command writes and what it reads its configuration from. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * The clients a command uses, made on first use from the service's own configuration (TLS, SASL
 * and credentials included, through the service's client factories) and closed together by
 * `close()`. Commands fail fast when Redis does not answer instead of retrying forever.
 */
export class CliContext {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly clock: Clock;
  #redis?: Redis;
  #kafka?: Kafka;
  #registry?: SchemaRegistry;
  /** The last connection error of Redis (ioredis reports them as events, commands fail vaguely). */
  #redisError?: Error;

  constructor(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock) {
    this.config = config;
    this.logger = logger;
    this.clock = clock;
  }

  /** Configuration exactly as the service takes it: the environment over an optional CONFIG_FILE. */
  static load(io: CliIo, logger: (config: Readonly<Config>) => Logger): CliContext {
    const config = loadConfig(io.env);
    return new CliContext(config, logger(config));
  }

  get redis(): Redis {
    this.#redis ??= createRedis(this.config.redis, undefined, {
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => (attempt > 3 ? null : 200),
    });
    this.#redis.on('error', (err: Error) => {
      this.#redisError = err;
    });
    return this.#redis;
  }

  get kafka(): Kafka {
    this.#kafka ??= createKafka({ ...this.config.kafka, clientId: `${this.config.kafka.clientId}-cli` }, this.logger);
    return this.#kafka;
  }

  get registry(): SchemaRegistry {
    this.#registry ??= registryClientOptions(this.config.schemaRegistry).registry;
    return this.#registry;
  }

  /** Why a command failed, in words: Redis's own connection error when Redis did not answer. */
  explain(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    if (this.#redisError && /max retries per request|Connection is closed/i.test(message)) {
      return `Redis did not answer (REDIS_URL): ${this.#redisError.message}`;
    }
    return message;
  }

  /** Closes what was opened. */
  async close(): Promise<void> {
    this.#redis?.disconnect();
  }
}
