import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import {
  decodeConnectionRecord,
  encodeConnectionRecord,
  resolveConnection,
  validateConnectionRecord,
} from '../../src/fleet/connection-record.ts';

const record = {
  id: 'acme',
  instance: '123-ABC-456',
  baseUrl: 'https://123-ABC-456.mktorest.com',
  clientId: 'cid',
  startDate: '2026-01-01T00:00:00Z',
  clientSecretEnv: 'ACME_SECRET',
};

describe('connection records', () => {
  it('resolve the secret from the variable or file they name, on the worker', () => {
    expect(resolveConnection(record, { ACME_SECRET: 's3cret' }).clientSecret).toBe('s3cret');
    const file = join(mkdtempSync(join(tmpdir(), 'rec-')), 'secret');
    writeFileSync(file, 'from-file\n');
    const { clientSecretEnv: _e, ...rest } = record;
    expect(resolveConnection({ ...rest, clientSecretFile: file }).clientSecret).toBe('from-file');
  });

  it('name the field when the secret is missing, without echoing any secret', () => {
    expect(() => resolveConnection(record, {})).toThrow(/clientSecretEnv: ACME_SECRET is not set on this worker/);
    expect(() => validateConnectionRecord({ ...record, clientSecret: 'hunter2' })).toThrow(
      /connection\.clientSecret: must not be in the record/,
    );
    try {
      validateConnectionRecord({ ...record, clientSecret: 'hunter2' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(() => validateConnectionRecord({ ...record, baseUrl: 'ftp://x' })).toThrow(/connection\.baseUrl/);
  });

  it('round-trip through the topic; a tombstone or garbage decodes as none', () => {
    expect(decodeConnectionRecord(encodeConnectionRecord(record))).toEqual(record);
    expect(decodeConnectionRecord(null)).toBeUndefined();
    expect(decodeConnectionRecord(Buffer.from('[1]'))).toBeUndefined();
  });
});

describe('fleet configuration', () => {
  const env = {
    KAFKA_BROKERS: 'k:9092',
    SCHEMA_REGISTRY_URL: 'http://r:8081',
    REDIS_URL: 'redis://r:6379',
  };
  it('a fleet worker needs no configured connection; a single process does', () => {
    const config = loadConfig({ ...env, FLEET_ENABLED: 'true', FLEET_SESSION_TIMEOUT_MS: '10000' }, '');
    expect(config.fleet).toMatchObject({ enabled: true, sessionTimeoutMs: 10_000 });
    expect(config.connections).toEqual([]);
    expect(() => loadConfig(env, '')).toThrow(/connections/);
  });

  it('refuses a heartbeat interval not below the session timeout, naming it', () => {
    expect(() =>
      loadConfig(
        { ...env, FLEET_ENABLED: 'true', FLEET_SESSION_TIMEOUT_MS: '5000', FLEET_HEARTBEAT_INTERVAL_MS: '5000' },
        '',
      ),
    ).toThrow(/fleet\.heartbeatIntervalMs.*must be less than sessionTimeoutMs/);
  });
});
