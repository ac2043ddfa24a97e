export { HOCKEYSTACK_ACTIVITY_TYPES, DEFAULT_LEAD_FIELDS } from './defaults.ts';
export { loadConfig, parseConfig } from './load.ts';
export type { Config, ConnectionConfig, ConfigInput } from './schema.ts';
