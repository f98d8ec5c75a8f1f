/**
 * `@busbar/collector-kit`: the generic collector runtime ({@link startCollector}: supervision,
 * scheduling, publishing, routed commands, health, stop for any protocol module), its configuration,
 * and the Kafka side every collector shares ({@link CollectorKit}).
 */
export { runTestMode, startCollector } from './collector.js';
export type { CollectorRuntimeConfig, RunningCollector } from './collector.js';
export { CollectorKit } from './kit.js';
export type { CollectorKitOptions, ConnectionEventOptions, RoutedCommandsOptions, StoreAndForwardOptions } from './kit.js';
export { Forwarder, RecordBuffer } from './buffer.js';
export type { BatchSender, BufferedRecord, ForwarderOptions, RecordBufferOptions, StoredRecord } from './buffer.js';
export { RoutedCommandDispatcher, decoratedResultSink } from './routing.js';
export type { RoutedDispatchOptions } from './routing.js';
export { collectorCommonShape, collectorConfigSchema, loadCollectorConfig, storeAndForwardOptions } from './config.js';
export type { CollectorConfigOf } from './config.js';
export { ERROR_CODES } from './errors.js';
