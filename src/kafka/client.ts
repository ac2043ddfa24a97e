import { createRequire } from 'node:module';
import { Kafka, type KafkaConfig as KafkaJsConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/index.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { explainTlsTrustFailure } from '../tls.ts';
import { kafkaLogCreator } from './kafka-logger.ts';
import './request-queue-fix.ts';

/** The Kafka settings a client needs (a worker thread receives exactly this); no `ssl`: plaintext. */
export type KafkaClientSettings = Pick<KafkaConfig, 'clientId' | 'brokers'> &
  Partial<Pick<KafkaConfig, 'ssl' | 'sasl'>>;

/**
 * How long a broker connection may take to open: the Java client's default
 * (`socket.connection.setup.timeout.ms`). kafkajs's 1 s is too short for a worker opening the
 * connections of a hundred connections at once on a busy machine: they time out, are retried, and
 * the retries add to the load. A broker that is down refuses at once, whatever this is.
 */
export const KAFKA_CONNECTION_TIMEOUT_MS = 10_000;

/** The kafkajs options of `settings`: brokers, TLS, SASL and the re-authentication threshold. */
export function kafkaClientOptions(settings: KafkaClientSettings): KafkaJsConfig {
  const { ssl, sasl } = settings;
  return {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
    ...(ssl?.enabled
      ? {
          ssl: {
            rejectUnauthorized: ssl.rejectUnauthorized,
            ...(ssl.ca === undefined ? {} : { ca: [ssl.ca] }),
            ...(ssl.servername === undefined ? {} : { servername: ssl.servername }),
          },
        }
      : {}),
    ...(sasl
      ? {
          sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions,
          // kafkajs re-authenticates this long before the session the broker granted ends; at or
          // above the broker's connections.max.reauth.ms it would re-authenticate on every request
          // and fail with ILLEGAL_SASL_STATE, so it is ours to set, below any sensible broker value.
          reauthenticationThreshold: sasl.reauthenticationThresholdMs,
        }
      : {}),
  };
}

/**
 * kafkajs 2.2.4 classes ILLEGAL_SASL_STATE (broker error 34) as not retriable, yet it is what a
 * re-authentication that raced other requests gets, and kafkajs recovers from it on the next
 * attempt (it rebuilds the connection; the broker closed it). Marking the error retriable lets
 * kafkajs's own retries, and ours, carry on instead of failing the connection. kafkajs keeps its
 * protocol error table in this module and builds each error from it, so the change is global to
 * the process (and to each worker thread, which loads this module too).
 */
function markIllegalSaslStateRetriable(): void {
  const require = createRequire(import.meta.url);
  const { errorCodes } = require('kafkajs/src/protocol/error.js') as {
    errorCodes: { type: string; retriable: boolean }[];
  };
  const entry = errorCodes.find((e) => e.type === 'ILLEGAL_SASL_STATE');
  if (entry) entry.retriable = true;
}
markIllegalSaslStateRetriable();

// kafkajs filters by its own level before the logCreator sees an entry: follow the logger's.
const KAFKA_LOG_LEVELS: Record<string, logLevel> = {
  fatal: logLevel.ERROR,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
  trace: logLevel.DEBUG,
  silent: logLevel.NOTHING,
};

/**
 * The one way marketo-stream builds a Kafka client (service, publisher threads, demo, bench,
 * tests): brokers, TLS and SASL from `settings`, kafkajs's log lines through `logger` (none
 * without one). Its producers', consumers' and admins' `connect()` reject with
 * {@link explainKafkaError}'s clear errors (bad credentials name the setting, never the secret).
 */
export function createKafka(settings: KafkaClientSettings, logger?: Logger, extra: Partial<KafkaJsConfig> = {}): Kafka {
  const kafka = new Kafka({
    ...kafkaClientOptions(settings),
    ...(logger
      ? { logCreator: kafkaLogCreator(logger), logLevel: KAFKA_LOG_LEVELS[logger.level] ?? logLevel.INFO }
      : { logLevel: logLevel.NOTHING }),
    ...extra,
  });
  if (settings.sasl?.mechanism === 'plain' && !settings.ssl?.enabled) {
    logger?.warn('Kafka SASL PLAIN without TLS sends the password in clear: set kafka.ssl.enabled / KAFKA_SSL=true');
  }
  const explainConnect = <C extends { connect(): Promise<void> }>(client: C): C => {
    const connect = client.connect.bind(client);
    client.connect = () =>
      connect().catch((err: unknown) => {
        throw explainKafkaError(err, settings);
      });
    return client;
  };
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  const admin = kafka.admin.bind(kafka);
  kafka.producer = (config) => explainConnect(producer(config));
  kafka.consumer = (config) => explainConnect(consumer(config));
  kafka.admin = (config) => explainConnect(admin(config));
  return kafka;
}

const SETTINGS_HINT = 'kafka.sasl.username / KAFKA_SASL_USERNAME and kafka.sasl.password / KAFKA_SASL_PASSWORD';

/**
 * A kafkajs error made clear where the cause is a setting: a SASL authentication failure becomes
 * CREDENTIALS_REJECTED (not retriable) naming the user, the mechanism and the settings to check;
 * ILLEGAL_SASL_STATE (re-authentication) becomes a retriable NETWORK error naming the
 * re-authentication threshold; an untrusted certificate a retriable NETWORK error naming the TLS
 * settings. Any other error is returned as it is.
 */
export function explainKafkaError(err: unknown, settings: KafkaClientSettings): unknown {
  const e = err as { name?: string; type?: string; message?: string };
  const sasl = settings.sasl;
  if (e?.name === 'KafkaJSSASLAuthenticationError') {
    const who = sasl ? `user "${sasl.username}" (${sasl.mechanism})` : 'the client';
    return new MarketoStreamError(
      ErrorCodes.CREDENTIALS_REJECTED,
      `Kafka SASL authentication failed for ${who} at ${settings.brokers.join(',')}: check ${SETTINGS_HINT} (and kafka.sasl.mechanism / KAFKA_SASL_MECHANISM): ${e.message}`,
      { field: 'kafka.sasl.password', cause: err },
    );
  }
  if (e?.type === 'ILLEGAL_SASL_STATE') {
    return new MarketoStreamError(
      ErrorCodes.NETWORK,
      `Kafka SASL re-authentication failed (ILLEGAL_SASL_STATE); retrying. If it persists, the broker's connections.max.reauth.ms is at or below kafka.sasl.reauthenticationThresholdMs / KAFKA_SASL_REAUTH_THRESHOLD_MS (${sasl?.reauthenticationThresholdMs} ms): lower it`,
      { retriable: true, field: 'kafka.sasl.reauthenticationThresholdMs', cause: err },
    );
  }
  return (
    explainTlsTrustFailure(
      err,
      `Kafka at ${settings.brokers.join(',')}`,
      'kafka.ssl.ca / KAFKA_SSL_CA_FILE and kafka.ssl.servername / KAFKA_SSL_SERVERNAME',
    ) ?? err
  );
}

/**
 * Keeps the process alive through a kafkajs ILLEGAL_SASL_STATE raised outside any caller's
 * promise (kafkajs 2.2.4 can throw it from a background metadata refresh when the broker's
 * connections.max.reauth.ms is at or below the re-authentication threshold): it is logged as a
 * warning and kafkajs rebuilds the connection on its next request. Any other uncaught error ends
 * the process as Node would (stack on stderr, exit code 1). For the service's main process only.
 */
export function installKafkaReauthGuard(logger: Logger): void {
  const guard = (err: unknown) => {
    if ((err as { type?: unknown } | undefined)?.type === 'ILLEGAL_SASL_STATE') {
      logger.warn({ err }, 'Kafka SASL re-authentication failed outside a request; kafkajs reconnects on the next one');
      return;
    }
    process.stderr.write(`${(err as Error | undefined)?.stack ?? String(err)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', guard);
  process.on('unhandledRejection', guard);
}
