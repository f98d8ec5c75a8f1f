/**
 * `@busbar/collector-modbus` (private): the Modbus collector — the Modbus protocol module
 * (`@busbar/module-modbus`) on the generic collector runtime (`@busbar/collector-kit`). Exported for
 * in-process end-to-end tests.
 */
import type { Logger, Metrics } from '@busbar/core';
import { startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import { modbusModule } from '@busbar/module-modbus';
import type { CollectorConfig } from './config.js';

export { collectorConfigSchema, loadCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';

/**
 * Starts the Modbus collector in this process.
 *
 * @throws when Kafka cannot be reached at start.
 */
export function startModbusCollector(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  return startCollector(modbusModule, 'collector-modbus', config, deps);
}
