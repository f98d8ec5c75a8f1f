/**
 * `@busbar/collector-arbin` (private): the composition, exported for in-process end-to-end tests,
 * the benchmark and the local demo.
 */
export { runTestMode, startArbinCollector } from './collector.js';
export type { ArbinCollectorDeps } from './collector.js';
export { DEFAULT_OPS_PORT, collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { ArbinDevice, CollectorConfig } from './config.js';
