/**
 * `@busbar/kafka`: kafkajs composed for Busbar — producer keyed by device id, consumer groups
 * committing after the handler, dead-letter topic for what does not decode.
 */
export { createKafka, ensureTopics } from './client.js';
export type { KafkaConnectionConfig } from './client.js';
export { PRODUCER_OPTIONS, RecordPublisher } from './publisher.js';
export { DecodingConsumer, watchProducer } from './consumer.js';
export { healingProducer } from './healing-producer.js';
export { topicEncoder } from './framing.js';
export type { BatchControl, BatchOutcome, ConsumedRecord } from './consumer.js';
export { CompactedTable } from './table.js';
export { ERROR_CODES } from './errors.js';
export type { KafkaSecurityConfig, SaslMechanism } from './security.js';
export { DEFAULT_TOPICS, kafkaConfigSchema, topicsConfigSchema } from './config.js';
export type { KafkaConfig, TopicsConfig } from './config.js';
export { readTopicToEnd } from './replay.js';
export { retryKafkaStartup } from './startup.js';
// the experimental @platformatic/kafka producer is the subpath `@busbar/kafka/platformatic` (not loaded by the services)
