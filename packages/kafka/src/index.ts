/**
 * `@busbar/kafka`: kafkajs composed for Busbar — producer keyed by device id, consumer groups
 * committing after the handler, dead-letter topic for what does not decode.
 */
export { createKafka, ensureTopics } from './client.js';
export type { KafkaConnectionConfig, TopicSpec } from './client.js';
export { PRODUCER_OPTIONS, RecordPublisher } from './publisher.js';
export type { OutgoingRecord } from './publisher.js';
export { DecodingConsumer } from './consumer.js';
export type { BatchControl, ConsumedRecord, DecodingConsumerOptions } from './consumer.js';
export type { DeadLetterRecord, Decoder, Encoder } from './serde.js';
export { ERROR_CODES } from './errors.js';
export { avroConfigSchema, DEFAULT_TOPICS, kafkaConfigSchema, registryConfigSchema, topicsConfigSchema } from './config.js';
export type { KafkaAvroConfig, KafkaConfig, TopicsConfig } from './config.js';
export { framingOf } from './framing.js';
export { readTopicToEnd } from './replay.js';
export type { ReadToEndOptions } from './replay.js';
