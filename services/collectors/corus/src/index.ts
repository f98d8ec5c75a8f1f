/**
 * `@busbar/collector-corus` (private): the composition, exported for in-process end-to-end tests
 * and the benchmark.
 */
export { startCorusCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig, resolveCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';
