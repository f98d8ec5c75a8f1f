/**
 * The Maccor collector: the Maccor module (`@busbar/module-maccor`) on the generic collector runtime
 * (`@busbar/collector-kit`): supervision and reconnection, the budgeted poll, publishing, the
 * `maccor.*` commands the commander routes here, and direct control (attached by the module).
 */
import type { Logger, Metrics } from '@busbar/core';
import { runTestMode as runModuleTestMode, startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import { createMaccorModule } from '@busbar/module-maccor';
import type { MaccorDeviceConfig } from '@busbar/module-maccor';
import type { CollectorConfig } from './config.js';

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start (the tester loops themselves never throw).
 */
export function startMaccorCollector(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  return startCollector(createMaccorModule(deps), 'collector-maccor', config, deps);
}

/**
 * `--test` mode: signs on to every tester, polls it once with every channel's (4,7) details (and
 * (4,4) where configured) and prints one Reading per channel as a JSON line, without Kafka; a tester
 * that fails prints one line with its error code.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of testers that failed.
 */
export function runTestMode(devices: readonly MaccorDeviceConfig[], deps: { readonly logger: Logger; readonly metrics: Metrics }, write?: (line: string) => void): Promise<number> {
  return runModuleTestMode(createMaccorModule({ ...deps, allDetails: true }), devices, deps, write);
}
