import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRACKED_ACTIVITY_TYPES } from '../../src/config/defaults.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_LOOKBACK_EVERY_MINUTES } from '../../src/config/schema.ts';
import { ErrorCodes } from '../../src/errors.ts';
import { configRejection, validEnv } from '../support/config-env.ts';

describe('loadConfig', () => {
  it('reads KAFKA_PUBLISHER_THREAD as a boolean (default true) and names it when it is not one', () => {
    expect(loadConfig(validEnv, undefined).kafka.publisherThread).toBe(true);
    expect(loadConfig({ ...validEnv, KAFKA_PUBLISHER_THREAD: 'false' }, undefined).kafka.publisherThread).toBe(false);
    expect(loadConfig({ ...validEnv, KAFKA_PUBLISHER_THREAD: ' 1 ' }, undefined).kafka.publisherThread).toBe(true);
    const err = configRejection({ ...validEnv, KAFKA_PUBLISHER_THREAD: 'constructor' });
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain('KAFKA_PUBLISHER_THREAD');
  });

  it('builds a frozen configuration with the documented defaults', () => {
    const config = loadConfig(validEnv, undefined);
    const c = config.connections[0]!;
    expect(c.baseUrl).toBe('https://123-abc-456.mktorest.com');
    expect(c.activityTypes).toEqual(DEFAULT_TRACKED_ACTIVITY_TYPES);
    expect(c.activityTypesDefaulted).toBe(true);
    expect(config.failedRetryMinutes).toBe(15);
    expect(c.dailyQuota).toBe(50_000);
    expect(c.ratePer20s).toBe(50);
    expect(config.lookbackMinutes).toBe(60);
    expect(config.quotaTimeZone).toBe('America/Chicago');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(c.activityTypes)).toBe(true);
  });

  it('reads the look-back schedule (defaults, environment) and names a bad value', () => {
    const defaults = loadConfig(validEnv, undefined);
    expect([defaults.lookbackEveryMinutes, defaults.deepLookbackHours, defaults.deepLookbackEveryHours]).toEqual([
      DEFAULT_LOOKBACK_EVERY_MINUTES,
      26,
      24,
    ]);
    const set = loadConfig(
      { ...validEnv, LOOKBACK_EVERY_MINUTES: '0', DEEP_LOOKBACK_HOURS: '0', DEEP_LOOKBACK_EVERY_HOURS: '12' },
      undefined,
    );
    expect([set.lookbackEveryMinutes, set.deepLookbackHours, set.deepLookbackEveryHours]).toEqual([0, 0, 12]);
    for (const [name, value] of [
      ['LOOKBACK_EVERY_MINUTES', '-5'],
      ['LOOKBACK_EVERY_MINUTES', '1.5'],
      ['DEEP_LOOKBACK_HOURS', 'lots'],
      ['DEEP_LOOKBACK_EVERY_HOURS', '0'],
    ] as const) {
      const err = configRejection({ ...validEnv, [name]: value });
      expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
      expect(err.message).toContain(name);
    }
  });

  it('FAILED_RETRY_MINUTES sets the failed-connection retry interval, validated', () => {
    expect(loadConfig({ ...validEnv, FAILED_RETRY_MINUTES: '5' }, undefined).failedRetryMinutes).toBe(5);
    for (const bad of ['0', '1441', '2.5', 'soon']) {
      const err = configRejection({ ...validEnv, FAILED_RETRY_MINUTES: bad });
      expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
      expect(err.message).toMatch(/failedRetryMinutes|FAILED_RETRY_MINUTES/);
    }
  });

  it('reads lists and numbers from the environment', () => {
    const config = loadConfig(
      { ...validEnv, MARKETO_ACTIVITY_TYPES: '6, Fill Out Form', MARKETO_DAILY_QUOTA: '10000', TOPIC_PARTITIONS: '12' },
      undefined,
    );
    expect(config.connections[0]!.activityTypes).toEqual([6, 'Fill Out Form']);
    expect(config.connections[0]!.activityTypesDefaulted).toBe(false);
    expect(config.connections[0]!.dailyQuota).toBe(10_000);
    expect(config.kafka.partitions).toBe(12);
  });

  it('names every bad field, with its environment variable, and never echoes the secret', () => {
    const err = configRejection({
      ...validEnv,
      KAFKA_BROKERS: 'nohostport',
      MARKETO_BASE_URL: 'not a url',
      MARKETO_START_DATE: 'yesterday',
      MARKETO_CLIENT_ID: '',
    });
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain('kafka.brokers.0 (KAFKA_BROKERS): must be host:port');
    expect(err.message).toContain('connections.0.baseUrl (MARKETO_BASE_URL)');
    expect(err.message).toContain('connections.0.startDate (MARKETO_START_DATE): must be an ISO-8601 date');
    expect(err.message).toContain('connections.0.clientId (MARKETO_CLIENT_ID): is required');
    expect(err.message).not.toContain('very-secret-value');
    expect(err.field).toBe('kafka.brokers.0');
  });

  it('rejects a reserve that leaves no budget', () => {
    const err = configRejection({ ...validEnv, MARKETO_DAILY_QUOTA: '1000', MARKETO_QUOTA_RESERVE: '1000' });
    expect(err.message).toContain('connections.0.quotaReserve (MARKETO_QUOTA_RESERVE): must be less than dailyQuota');
  });

  it('takes several connections from a file, the environment overriding the first', () => {
    const file = join(tmpdir(), `marketo-stream-config-${process.pid}.json`);
    const second = {
      ...JSON.parse(
        JSON.stringify({
          id: 'globex',
          instance: '999-XYZ-000',
          baseUrl: 'https://999-xyz-000.mktorest.com',
          clientId: 'g',
          clientSecret: 's',
          startDate: '2024-06-01T00:00:00Z',
        }),
      ),
    };
    writeFileSync(file, JSON.stringify({ connections: [{ ...second, id: 'first' }, second], lookbackMinutes: 90 }));
    const config = loadConfig({ ...validEnv, MARKETO_CONNECTION_ID: 'acme' }, file);
    expect(config.connections.map((c) => c.id)).toEqual(['acme', 'globex']);
    expect(config.lookbackMinutes).toBe(90);
  });

  it('names the file when it is not JSON', () => {
    const file = join(tmpdir(), `marketo-stream-bad-${process.pid}.json`);
    writeFileSync(file, '{ not json');
    const err = configRejection({ ...validEnv, CONFIG_FILE: file });
    expect(err.field).toBe('CONFIG_FILE');
  });
});
