/** Kafka plumbing shared by the producer, the streams and the tools: topic administration, reading, logging. */
export {
  createKafka,
  explainKafkaError,
  installKafkaReauthGuard,
  KAFKA_CONNECTION_TIMEOUT_MS,
  type KafkaClientSettings,
  kafkaClientOptions,
} from './client.ts';
export { type AvroDecoder, type DecodedRecord, decodeRecord, toJsonLine } from './decoded-record.ts';
export { kafkaLogCreator } from './kafka-logger.ts';
export {
  endOffsets,
  type PartitionOffsets,
  parseStartPosition,
  resolveStartOffsets,
  type StartPosition,
} from './offsets.ts';
export { isKafkaUnavailable } from './outage.ts';
export { type PositionedRecord, type ReadFromOffsetsOptions, readFromOffsets } from './positioned-reader.ts';
export { fetchEndOffsets, readTopic, readTopicSlice } from './topic-reader.ts';
export { defaultTopicSpecs, ensureTopics, type TopicNames, topicNames } from './topics.ts';
