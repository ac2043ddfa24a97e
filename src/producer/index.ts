export * from './checkpoints.ts';
export {
  MessagePacker,
  type PackedMessages,
  type PublishMessage,
  packMessages,
  type ValueWriter,
} from './packed-messages.ts';
export * from './publisher.ts';
export { ThreadedPublisher, type ThreadedPublisherOptions } from './publisher-thread.ts';
