export { loadConfig, parseConfig, type ServiceSettingsInput, serviceSettingsFromEnv } from './load.ts';
export type { Config, ConnectionConfig, KafkaConfig, RedisConfig, SchemaRegistryConfig, TlsConfig } from './schema.ts';
export { secretValues } from './secrets.ts';
