/**
 * `@busbar/collector-modbus` (private): the composition, exported for in-process end-to-end tests.
 */
export { PROTOCOL, startModbusCollector, toReading } from './collector.js';
export { collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';
export { runTestMode } from './test-mode.js';
