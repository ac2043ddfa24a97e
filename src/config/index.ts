export { DEFAULT_LEAD_FIELDS, HOCKEYSTACK_ACTIVITY_TYPES } from './defaults.ts';
export { loadConfig, parseConfig, type ServiceSettingsInput, serviceSettingsFromEnv } from './load.ts';
export type {
  Config,
  ConfigInput,
  ConnectionConfig,
  KafkaConfig,
  RedisConfig,
  SchemaRegistryConfig,
  TlsConfig,
} from './schema.ts';
export { secretValues } from './secrets.ts';
