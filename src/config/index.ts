export { loadConfig, parseConfig } from './load.ts';
export type { Config, ConnectionConfig } from './schema.ts';
