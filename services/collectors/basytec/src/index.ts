/**
 * `@busbar/collector-basytec` (private): the composition, exported for in-process end-to-end
 * tests.
 */
export { startBasytecCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';
