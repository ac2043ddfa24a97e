export {
  loadConfig,
  parseConfig,
  parseTopicReaderSettings,
  type ServiceSettingsInput,
  serviceSettingsFromEnv,
  type TopicReaderSettings,
} from './load.ts';
export type { Config, ConnectionConfig, KafkaConfig, RedisConfig, SchemaRegistryConfig, TlsConfig } from './schema.ts';
export { secretValues } from './secrets.ts';
