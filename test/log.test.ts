import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../src/config/index.ts';
import { createLogger, lineDestination, relayLogLine } from '../src/log.ts';

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

function capture(isTTY?: boolean): { stream: Writable & { isTTY?: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream: Object.assign(stream, isTTY === undefined ? {} : { isTTY }), lines };
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

describe('log formats', () => {
  it('pretty: one readable line per entry with level, message and fields, secrets still scrubbed', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', destination: stream, format: 'pretty', secrets: ['marketo-pw-1234'] });
    logger.child({ connection: 'acme' }).warn({ stream: 'programs', token: 'marketo-pw-1234' }, 'page committed');
    const text = lines.join('');
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/WARN.*page committed/);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toContain('"connection":"acme"');
    expect(text).toContain('"stream":"programs"');
    expect(text).not.toContain('marketo-pw-1234');
    expect(text).not.toContain('\x1b['); // no colours off a terminal
  });

  it('auto: pretty (coloured) on a terminal, JSON lines elsewhere', () => {
    const tty = capture(true);
    createLogger({ level: 'info', destination: tty.stream }).info('hello');
    expect(tty.lines.join('')).toContain('\x1b[');
    expect(() => JSON.parse(tty.lines.join(''))).toThrow();
    const pipe = capture(false);
    createLogger({ level: 'info', destination: pipe.stream }).info('hello');
    expect(JSON.parse(pipe.lines.join(''))).toMatchObject({ level: 30, msg: 'hello' });
    const forced = capture(true);
    createLogger({ level: 'info', destination: forced.stream, format: 'json' }).info('hello');
    expect(JSON.parse(forced.lines.join(''))).toMatchObject({ msg: 'hello' });
  });

  it('LOG_FORMAT is validated at start, naming the field', () => {
    expect(loadConfig({ ...env, LOG_FORMAT: 'pretty' }, undefined).logFormat).toBe('pretty');
    expect(loadConfig(env, undefined).logFormat).toBe('auto');
    expect(() => loadConfig({ ...env, LOG_FORMAT: 'xml' }, undefined)).toThrow(/logFormat/);
  });
});

describe('relayLogLine', () => {
  it("logs a worker thread's line through the main logger: its level, fields and message, the main bindings, scrubbing", () => {
    const worker: string[] = [];
    createLogger({ level: 'debug', destination: lineDestination((line) => worker.push(line)) })
      .child({ component: 'kafkajs' })
      .warn({ broker: 'b1', detail: 'saw marketo-pw-1234' }, 'coordinator moved');
    createLogger({ level: 'debug', destination: lineDestination((line) => worker.push(line)) }).debug('chatty');
    expect(worker).toHaveLength(2);

    const { stream, lines } = capture();
    const main = createLogger({ level: 'info', destination: stream, secrets: ['marketo-pw-1234'] });
    for (const line of worker) relayLogLine(main.child({ connection: 'acme' }), line);
    relayLogLine(main, 'not json');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The debug line is below the main logger's level; the unreadable one is reported, not lost.
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      level: 40,
      connection: 'acme',
      component: 'kafkajs',
      broker: 'b1',
      detail: 'saw [redacted]',
      msg: 'coordinator moved',
    });
    expect(lines[0]!.match(/"level"/g)).toHaveLength(1);
    expect(entries[1]).toMatchObject({ level: 40, msg: 'unreadable log line from a worker thread', line: 'not json' });
  });
});
