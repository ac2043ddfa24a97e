import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';

const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'plain',
  KAFKA_SASL_USERNAME: 'svc',
  KAFKA_SASL_PASSWORD: 'kafka-pw-1234',
  SCHEMA_REGISTRY_URL: 'https://key:registry-pw-1234@registry.example/apis/ccompat/v7',
  REDIS_URL: 'rediss://app:redis-pw-1234@redis.example:6380',
  MARKETO_CONNECTION_ID: 'acme',
  MARKETO_INSTANCE: '123-ABC-456',
  MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com',
  MARKETO_CLIENT_ID: 'client',
  MARKETO_CLIENT_SECRET: 'marketo-pw-1234',
  MARKETO_START_DATE: '2025-01-01T00:00:00Z',
};
const SECRETS = ['kafka-pw-1234', 'registry-pw-1234', 'redis-pw-1234', 'marketo-pw-1234'];

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('redacts every secret of a configuration dump by its path, keeping the rest readable', () => {
    const config = loadConfig(env, undefined);
    const { stream, lines } = capture();
    createLogger({ level: 'info', destination: stream }).info({ config }, 'configuration');
    const line = lines.join('');
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    const dumped = JSON.parse(line).config;
    expect(dumped.kafka.sasl).toMatchObject({ username: 'svc', password: '[redacted]' });
    expect(dumped.connections[0].clientSecret).toBe('[redacted]');
    expect(dumped.redis.url).toBe('rediss://app:%5Bredacted%5D@redis.example:6380');
    expect(dumped.schemaRegistry.url).toBe('https://registry.example/apis/ccompat/v7');
  });

  it('scrubs the configured secret values from messages and error text wherever they appear', () => {
    const config = loadConfig(env, undefined);
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', destination: stream, secrets: secretValues(config) });
    logger
      .child({ component: 'x' })
      .error(
        { err: new Error(`auth with kafka-pw-1234 failed`), note: 'marketo-pw-1234"quoted' },
        'tried redis-pw-1234',
      );
    const line = lines.join('');
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    expect(line).toContain('auth with [redacted] failed');
  });

  it('logs Buffers and typed arrays at any depth (kafkajs debug entries) and redacts deep secrets beside them', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'debug', destination: stream });
    const entry = {
      data: { authBytes: Buffer.from('abc'), nested: { bytes: new Uint8Array(2) } },
      a: { b: { c: { d: { password: 'deep-pw-1234', headers: { authorization: 'Basic abc' } } } } },
    };
    expect(() => logger.debug(entry, 'kafkajs-like entry')).not.toThrow();
    const line = lines.join('');
    expect(line).not.toContain('deep-pw-1234');
    expect(line).not.toContain('Basic abc');
    expect(JSON.parse(line).a.b.c.d.password).toBe('[redacted]');
    // The caller's object is not modified.
    expect(entry.a.b.c.d.password).toBe('deep-pw-1234');
  });
});
