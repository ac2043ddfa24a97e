export * from './activity.ts';
export * from './headers.ts';
export * from './keys.ts';
export * from './registry.ts';
