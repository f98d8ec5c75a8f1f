/**
 * `@busbar/collector-safety-rig` (private): the safety-rig collector — the rig module
 * (`@busbar/module-safety-rig`) on the generic collector runtime (`@busbar/collector-kit`). Exported
 * for in-process end-to-end tests and benchmarks.
 */
import type { Logger, Metrics } from '@busbar/core';
import { startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import { safetyRigModule } from '@busbar/module-safety-rig';
import type { CollectorConfig } from './config.js';

export { loadCollectorConfig } from './config.js';
export type { CollectorConfig } from './config.js';

/** Service name (Kafka client id, consumer groups). */
export const SERVICE = 'collector-safety-rig';

/**
 * Starts the safety-rig collector in this process.
 *
 * @throws when Kafka cannot be reached at start.
 */
export function startSafetyRigCollector(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  return startCollector(safetyRigModule, SERVICE, config, deps);
}
