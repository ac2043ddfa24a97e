export * from './checkpoints.ts';
export * from './kafka-logger.ts';
export * from './publisher.ts';
export { ThreadedPublisher, type ThreadedPublisherOptions } from './publisher-thread.ts';
export * from './topic-reader.ts';
export * from './topics.ts';
