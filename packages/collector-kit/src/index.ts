/**
 * `@busbar/collector-kit`: the generic collector runtime ({@link startCollector}: supervision,
 * scheduling, publishing, routed commands, health, stop for any protocol module), its `--test` mode
 * ({@link runTestMode}) and its configuration ({@link loadCollectorConfig}). The Kafka side every
 * collector shares (`CollectorKit`), the store-and-forward buffer and the routed-command dispatcher
 * are the runtime's own parts, not exported.
 */
export { runTestMode, startCollector } from './collector.js';
export type { RunningCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { CollectorConfigOf } from './config.js';
export { ERROR_CODES } from './errors.js';
