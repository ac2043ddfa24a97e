/** Kafka plumbing shared by the producer and the streams: topic administration, reading, logging. */
export { kafkaLogCreator } from './kafka-logger.ts';
export { fetchEndOffsets, readTopic, readTopicSlice } from './topic-reader.ts';
export { defaultTopicSpecs, ensureTopics, type TopicNames, topicNames } from './topics.ts';
