import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseTopicReaderSettings, secretValues, serviceSettingsFromEnv } from '../../src/config/index.ts';
import { ErrorCodes, type MarketoStreamError } from '../../src/errors.ts';
import { configRejection } from '../support/config-env.ts';

const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  REDIS_URL: 'redis://127.0.0.1:6379',
  MARKETO_CONNECTION_ID: 'acme',
  MARKETO_INSTANCE: '123-ABC-456',
  MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com',
  MARKETO_CLIENT_ID: 'client',
  MARKETO_CLIENT_SECRET: 'marketo-secret-value',
  MARKETO_START_DATE: '2025-01-01T00:00:00Z',
};

const dir = mkdtempSync(join(tmpdir(), 'mkto-security-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const caFile = file('ca.pem', PEM);

describe('security settings', () => {
  it('are off by default: plaintext Kafka without SASL, registry and Redis without credentials', () => {
    const config = loadConfig(env, undefined);
    expect(config.kafka.ssl).toEqual({ enabled: false, rejectUnauthorized: true });
    expect(config.kafka.sasl).toBeUndefined();
    expect(config.schemaRegistry.username).toBeUndefined();
    expect(config.redis.tls).toBeUndefined();
  });

  it('read Kafka TLS and SASL from the environment, the CA file into PEM, the mechanism case-insensitively', () => {
    const config = loadConfig(
      {
        ...env,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: caFile,
        KAFKA_SSL_SERVERNAME: 'broker.example',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD: 'sasl-secret',
        KAFKA_SASL_REAUTH_THRESHOLD_MS: '2000',
      },
      undefined,
    );
    expect(config.kafka.ssl).toMatchObject({
      enabled: true,
      ca: PEM,
      servername: 'broker.example',
      rejectUnauthorized: true,
    });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'svc',
      password: 'sasl-secret',
      reauthenticationThresholdMs: 2000,
    });
  });

  it('default the re-authentication threshold below a 30 s broker session', () => {
    const config = loadConfig(
      { ...env, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      undefined,
    );
    expect(config.kafka.sasl?.reauthenticationThresholdMs).toBeLessThan(30_000);
  });

  it('name the field and its variable when a setting is wrong, never echoing the secret', () => {
    const mechanism = configRejection({
      ...env,
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'top-secret',
    });
    expect(mechanism.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(mechanism.message).toContain('kafka.sasl.mechanism (KAFKA_SASL_MECHANISM)');
    expect(mechanism.message).not.toContain('top-secret');

    const password = configRejection({ ...env, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' });
    expect(password.message).toContain('kafka.sasl.password (KAFKA_SASL_PASSWORD): is required');

    const caWithoutSsl = configRejection({ ...env, KAFKA_SSL_CA_FILE: caFile });
    expect(caWithoutSsl.message).toContain('kafka.ssl.enabled (KAFKA_SSL)');

    const missingCa = configRejection({ ...env, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'absent.pem') });
    expect(missingCa.message).toMatch(/kafka\.ssl\.caFile \(KAFKA_SSL_CA_FILE\): cannot be read/);

    const notPem = configRejection({ ...env, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('not.pem', 'hello') });
    expect(notPem.message).toContain('kafka.ssl.caFile (KAFKA_SSL_CA_FILE)');
    expect(notPem.message).toContain('holds no PEM certificate');

    const badCa = configRejection({ ...env, KAFKA_SSL: 'true', KAFKA_SSL_CA: 'not a certificate' });
    expect(badCa.message).toContain('kafka.ssl.ca (KAFKA_SSL_CA)');
  });

  it('read secrets from <VAR>_FILE (one trailing newline dropped) and refuse both forms at once', () => {
    const config = loadConfig(
      {
        ...env,
        MARKETO_CLIENT_SECRET: undefined,
        MARKETO_CLIENT_SECRET_FILE: file('marketo', 'marketo-from-file\n'),
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD_FILE: file('sasl', 'sasl-from-file\n'),
        SCHEMA_REGISTRY_USERNAME: 'ru',
        SCHEMA_REGISTRY_PASSWORD_FILE: file('registry', 'registry-from-file'),
        REDIS_PASSWORD_FILE: file('redis', 'redis-from-file\n'),
      },
      undefined,
    );
    expect(config.connections[0]!.clientSecret).toBe('marketo-from-file');
    expect(config.kafka.sasl?.password).toBe('sasl-from-file');
    expect(config.schemaRegistry.password).toBe('registry-from-file');
    expect(config.redis.password).toBe('redis-from-file');

    const both = configRejection({ ...env, REDIS_PASSWORD: 'a', REDIS_PASSWORD_FILE: file('r2', 'b') });
    expect(both.message).toContain('REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set');
    const unreadable = configRejection({ ...env, REDIS_PASSWORD_FILE: join(dir, 'nope') });
    expect(unreadable.message).toContain('REDIS_PASSWORD_FILE: cannot read');
  });

  it('read the same settings from a configuration file, secrets from <field>File entries', () => {
    const configFile = file(
      'config.json',
      JSON.stringify({
        kafka: {
          brokers: ['b:9093'],
          ssl: { enabled: true, caFile },
          sasl: { mechanism: 'scram-sha-256', username: 'svc', passwordFile: file('kp', 'kafka-file-secret\n') },
        },
        schemaRegistry: {
          url: 'https://registry.example/apis/ccompat/v7',
          username: 'key',
          passwordFile: file('rp', 'registry-file-secret'),
          tls: { ca: PEM },
        },
        redis: { url: 'rediss://redis.example:6380', username: 'app', password: 'redis-secret', tls: { caFile } },
        connections: [
          {
            id: 'acme',
            instance: 'i',
            baseUrl: 'https://x.mktorest.com',
            clientId: 'c',
            clientSecretFile: file('cs', 'marketo-file-secret'),
            startDate: '2025-01-01T00:00:00Z',
          },
        ],
      }),
    );
    const config = loadConfig({}, configFile);
    expect(config.kafka.ssl.ca).toBe(PEM);
    expect(config.kafka.sasl).toMatchObject({ mechanism: 'scram-sha-256', password: 'kafka-file-secret' });
    expect(config.schemaRegistry).toMatchObject({ username: 'key', password: 'registry-file-secret' });
    expect(config.redis).toMatchObject({ username: 'app', password: 'redis-secret', tls: { ca: PEM } });
    expect(config.connections[0]!.clientSecret).toBe('marketo-file-secret');
    expect(secretValues(config).sort()).toEqual(
      ['kafka-file-secret', 'marketo-file-secret', 'redis-secret', 'registry-file-secret'].sort(),
    );
  });

  it('move registry credentials out of the URL, and refuse them in both places', () => {
    const config = loadConfig(
      { ...env, SCHEMA_REGISTRY_URL: 'https://key:s%3Acret@registry.example/apis/ccompat/v7' },
      undefined,
    );
    expect(config.schemaRegistry).toMatchObject({
      url: 'https://registry.example/apis/ccompat/v7',
      username: 'key',
      password: 's:cret',
    });
    const both = configRejection({
      ...env,
      SCHEMA_REGISTRY_URL: 'https://key:pw@registry.example',
      SCHEMA_REGISTRY_USERNAME: 'other',
    });
    expect(both.message).toContain('schemaRegistry.url (SCHEMA_REGISTRY_URL)');
    expect(both.message).not.toContain('pw@');
  });

  it('refuse TLS settings on a plain registry or Redis URL, and a user without password', () => {
    expect(configRejection({ ...env, SCHEMA_REGISTRY_TLS_CA_FILE: caFile }).message).toContain(
      'schemaRegistry.url (SCHEMA_REGISTRY_URL): must be https:// when schemaRegistry.tls is set',
    );
    expect(configRejection({ ...env, REDIS_TLS_CA_FILE: caFile }).message).toContain(
      'redis.url (REDIS_URL): must be rediss:// when redis.tls is set',
    );
    expect(configRejection({ ...env, SCHEMA_REGISTRY_USERNAME: 'key' }).message).toContain(
      'schemaRegistry.password (SCHEMA_REGISTRY_PASSWORD): is required with the other',
    );
  });

  it('count a password written into the Redis URL as a secret', () => {
    const config = loadConfig({ ...env, REDIS_URL: 'rediss://app:url-secret@redis.example:6380' }, undefined);
    expect(secretValues(config)).toContain('url-secret');
    expect(secretValues(config)).toContain('marketo-secret-value');
  });
});

describe('serviceSettingsFromEnv', () => {
  it('gives the Kafka, registry and Redis settings of the environment (files read), nothing of the connections', () => {
    const settings = serviceSettingsFromEnv({
      ...env,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD_FILE: file('demo-sasl', 'from-file\n'),
      SCHEMA_REGISTRY_USERNAME: 'ru',
      REDIS_TLS_CA_FILE: caFile,
    });
    expect(settings.kafka).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      ssl: { enabled: true },
      sasl: { mechanism: 'plain', username: 'u', password: 'from-file' },
    });
    expect(settings.schemaRegistry).toMatchObject({ username: 'ru' });
    expect(settings.redis).toMatchObject({ url: 'redis://127.0.0.1:6379', tls: { caFile } });
    expect(JSON.stringify(settings)).not.toContain('marketo-secret-value');
  });
});

describe('parseTopicReaderSettings', () => {
  it('validates the Kafka and registry settings as the service does, naming a wrong field', () => {
    const fromEnv = serviceSettingsFromEnv({
      ...env,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'reader',
      KAFKA_SASL_PASSWORD_FILE: file('reader-sasl', 'reader-secret\n'),
      SCHEMA_REGISTRY_USERNAME: 'ru',
      SCHEMA_REGISTRY_PASSWORD: 'rp',
    });
    const settings = parseTopicReaderSettings({ kafka: fromEnv.kafka, schemaRegistry: fromEnv.schemaRegistry });
    expect(settings.kafka).toMatchObject({
      ssl: { enabled: true },
      sasl: { mechanism: 'scram-sha-512', username: 'reader', password: 'reader-secret' },
    });
    expect(settings.schemaRegistry).toMatchObject({ username: 'ru', password: 'rp' });
    const err = (() => {
      try {
        parseTopicReaderSettings({
          kafka: { ...fromEnv.kafka, sasl: { mechanism: 'gssapi' } },
          schemaRegistry: fromEnv.schemaRegistry,
        } as never);
      } catch (e) {
        return e as MarketoStreamError;
      }
      throw new Error('accepted an unknown SASL mechanism');
    })();
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain('kafka.sasl.mechanism (KAFKA_SASL_MECHANISM)');
  });
});
