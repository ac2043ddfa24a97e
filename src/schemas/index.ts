export * from './activity.ts';
export * from './asset-fields.ts';
export * from './campaign.ts';
export * from './headers.ts';
export * from './keys.ts';
export * from './lead.ts';
export * from './program.ts';
export * from './registry.ts';
