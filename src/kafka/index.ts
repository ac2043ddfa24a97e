export * from './client.ts';
export * from './kafka-logger.ts';
export * from './topic-reader.ts';
export * from './topics.ts';
