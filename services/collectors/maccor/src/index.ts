/**
 * `@busbar/collector-maccor` (private): the composition, exported for in-process end-to-end tests,
 * the benchmark and the local demo.
 */
export { startMaccorCollector } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig } from './config.js';
