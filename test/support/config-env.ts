import { loadConfig } from '../../src/config/index.ts';
import { MarketoStreamError } from '../../src/errors.ts';

/** A complete single-connection environment that loadConfig accepts (no file). */
export const validEnv = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  REDIS_URL: 'redis://127.0.0.1:6379',
  MARKETO_CONNECTION_ID: 'acme',
  MARKETO_INSTANCE: '123-ABC-456',
  MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com/',
  MARKETO_CLIENT_ID: 'client',
  MARKETO_CLIENT_SECRET: 'very-secret-value',
  MARKETO_START_DATE: '2025-01-01T00:00:00Z',
};

/** The error loadConfig rejects `env` (and `configFile`) with; throws if it accepts them or throws something else. */
export function configRejection(env: NodeJS.ProcessEnv, configFile?: string): MarketoStreamError {
  try {
    loadConfig(env, configFile);
  } catch (err) {
    if (err instanceof MarketoStreamError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}
