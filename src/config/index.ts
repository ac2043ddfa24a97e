export { DEFAULT_LEAD_FIELDS, DEFAULT_TRACKED_ACTIVITY_TYPES } from './defaults.ts';
export { loadConfig, parseConfig } from './load.ts';
export type { Config, ConfigInput, ConnectionConfig } from './schema.ts';
