export * from './activity.ts';
export * from './headers.ts';
export * from './keys.ts';
export * from './registry.ts';
export * from './campaign.ts';
export * from './lead.ts';
export * from './program.ts';
