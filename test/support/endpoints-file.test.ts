import { describe, expect, it } from 'vitest';
import { parseEndpointsEnv } from './endpoints-file.ts';

const ESC = '\u001b';
const FILE = '/stack/endpoints.env';
const expected = {
  kafkaBrokers: '127.0.0.1:19092',
  schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
  redisUrl: 'redis://127.0.0.1:16379',
};

describe('parseEndpointsEnv', () => {
  it('reads the three variables of a clean file', () => {
    const text = [
      'KAFKA_BROKERS=127.0.0.1:19092',
      'SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
      'REDIS_URL=redis://127.0.0.1:16379',
      '',
    ].join('\n');
    expect(parseEndpointsEnv(text, FILE)).toEqual(expected);
  });

  it('finds them among Maven output, colour codes, carriage returns and partial lines', () => {
    const text = [
      `${ESC}[1;34m[INFO]${ESC}[m Scanning for projects...`,
      'Downloading from central: https://repo.example/org/apache/kafka/kafka_2.13/4.4.0/kafka_2.13-4.4.0.pom',
      'Progress (1): 4.1/12 kB\rProgress (1): 12 kB',
      `${ESC}[0m${ESC}[0mKAFKA_BROKERS=127.0.0.1:19092`,
      `${ESC}[1mSCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7${ESC}[m\r`,
      'OTHER_VARIABLE=ignored',
      'not an assignment = at all',
      'REDIS_URL=redis://127.0.0.1:16379',
      '[INFO] BUILD SUCCESS',
      'KAFKA_BROK',
    ].join('\n');
    expect(parseEndpointsEnv(text, FILE)).toEqual(expected);
  });

  it('names the variable a truncated file lacks, and the file', () => {
    // The last line has no newline: a write cut short, not a value to trust.
    const text =
      'KAFKA_BROKERS=127.0.0.1:19092\nSCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7\nREDIS_URL=redis://12';
    expect(() => parseEndpointsEnv(text, FILE)).toThrow(/\/stack\/endpoints\.env lacks REDIS_URL;/);
  });

  it('names every missing variable of an empty file', () => {
    expect(() => parseEndpointsEnv('', FILE)).toThrow(/lacks KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL/);
  });

  it('does not take an empty value', () => {
    const text = 'KAFKA_BROKERS=\nSCHEMA_REGISTRY_URL=http://r\nREDIS_URL=redis://r\n';
    expect(() => parseEndpointsEnv(text, FILE)).toThrow(/lacks KAFKA_BROKERS;/);
  });
});
