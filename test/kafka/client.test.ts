import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, MarketoStreamError } from '../../src/errors.ts';
import { explainKafkaError, KAFKA_CONNECTION_TIMEOUT_MS, kafkaClientOptions } from '../../src/kafka/index.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const secured = {
  clientId: 'svc',
  brokers: ['b1:9096', 'b2:9096'],
  ssl: { enabled: true, ca: PEM, servername: 'broker.example', rejectUnauthorized: true },
  sasl: {
    mechanism: 'scram-sha-512' as const,
    username: 'svc-user',
    password: 'pw-1234',
    reauthenticationThresholdMs: 5_000,
  },
};

describe('kafkaClientOptions', () => {
  it('passes TLS (CA, server name) and SASL with the re-authentication threshold to kafkajs', () => {
    expect(kafkaClientOptions(secured)).toEqual({
      clientId: 'svc',
      brokers: ['b1:9096', 'b2:9096'],
      connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
      ssl: { ca: [PEM], servername: 'broker.example', rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'svc-user', password: 'pw-1234' },
      reauthenticationThreshold: 5_000,
    });
  });

  it('is plaintext without SASL when neither is configured', () => {
    expect(
      kafkaClientOptions({ clientId: 'svc', brokers: ['b:9092'], ssl: { enabled: false, rejectUnauthorized: true } }),
    ).toEqual({
      clientId: 'svc',
      brokers: ['b:9092'],
      connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
    });
  });
});

describe('explainKafkaError', () => {
  it('names the user, mechanism and settings of a SASL failure, never the password', () => {
    const raw = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: bad'), {
      name: 'KafkaJSSASLAuthenticationError',
      retriable: false,
    });
    const err = explainKafkaError(raw, secured) as MarketoStreamError;
    expect(err).toBeInstanceOf(MarketoStreamError);
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REJECTED);
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('user "svc-user" (scram-sha-512) at b1:9096,b2:9096');
    expect(err.message).toContain('kafka.sasl.password / KAFKA_SASL_PASSWORD');
    expect(err.message).not.toContain('pw-1234');
  });

  it('makes ILLEGAL_SASL_STATE a retriable error naming the threshold, and leaves other errors alone', () => {
    const raw = Object.assign(new Error('Request is not valid given the current SASL state'), {
      type: 'ILLEGAL_SASL_STATE',
    });
    const err = explainKafkaError(raw, secured) as MarketoStreamError;
    expect(err.code).toBe(ErrorCodes.NETWORK);
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('KAFKA_SASL_REAUTH_THRESHOLD_MS (5000 ms)');
    const other = new Error('coordinator loading');
    expect(explainKafkaError(other, secured)).toBe(other);
  });

  it("has kafkajs's own ILLEGAL_SASL_STATE retriable once the client module is loaded", () => {
    const require = createRequire(import.meta.url);
    const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
      createErrorFromCode: (code: number) => { type: string; retriable: boolean };
    };
    expect(createErrorFromCode(34)).toMatchObject({ type: 'ILLEGAL_SASL_STATE', retriable: true });
    expect(createErrorFromCode(33).retriable).toBe(false); // the other SASL errors stay as they are
  });
});
