export { type AvroDecoder, type DecodedRecord, decodeRecord, toJsonLine } from './decoded-record.ts';
export * from './kafka-logger.ts';
export {
  endOffsets,
  type PartitionOffsets,
  parseStartPosition,
  resolveStartOffsets,
  type StartPosition,
} from './offsets.ts';
export { type PositionedRecord, type ReadFromOffsetsOptions, readFromOffsets } from './positioned-reader.ts';
export * from './topic-reader.ts';
export * from './topics.ts';
