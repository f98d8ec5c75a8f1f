/**
 * `@busbar/collector-basytec` (private): the composition, exported for in-process end-to-end
 * tests and the local demo.
 */
export { runTestMode, startBasytecCollector } from './collector.js';
export { DEFAULT_OPS_PORT, collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';
