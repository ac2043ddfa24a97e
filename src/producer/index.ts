/** Exactly-once publishing: a page and its checkpoint in one Kafka transaction, and reading checkpoints back. */
export {
  CHECKPOINT_READ_BARRIER_KEY,
  CheckpointIndex,
  type CheckpointReadReport,
  type CheckpointTopicRead,
  kafkaCheckpointRead,
} from './checkpoint-index.ts';
export { readCheckpoints } from './checkpoints.ts';
export { MessagePacker, type PackedMessages } from './packed-messages.ts';
export { type Publisher, TransactionalPublisher, transactionalProducerConfig } from './publisher.ts';
export { ThreadedPublisher } from './publisher-thread.ts';
