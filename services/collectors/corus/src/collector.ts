/**
 * The Corus collector: the Corus module (`@busbar/module-corus`) on the generic collector runtime
 * (`@busbar/collector-kit`). Per device ONE session (a Corus serves one session, itron-corus
 * reference README §3.5), shared by the runtime's parameter polls, the module's log backfill job
 * (its cursor files in `stateDir`, advanced once Kafka acknowledged the records) and the `corus.*`
 * commands the commander routed here (run at the session's write priority).
 */
import type { Logger, Metrics } from '@busbar/core';
import { runTestMode as runModuleTestMode, startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import { createCorusModule } from '@busbar/module-corus';
import type { CollectorConfig } from './config.js';

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start, or a cursor file is invalid
 *   (`BB_CORUS_COLLECTOR_STATE_INVALID`, before Kafka is touched); the device loops never throw.
 */
export function startCorusCollector(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  return startCollector(createCorusModule({ stateDir: config.stateDir }), 'collector-corus', config, deps);
}

/**
 * `--test` mode: for every device, reads the polled parameters once (one Reading JSON line) and the
 * newest records of each configured log (the last four intervals, or the last day for logs without
 * `intervalS`), without Kafka and without touching the backfill cursors. A device that fails prints
 * one line with its error code.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of devices that failed.
 */
export function runTestMode(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }, write?: (line: string) => void): Promise<number> {
  return runModuleTestMode(createCorusModule({ stateDir: config.stateDir }), config.devices, deps, write);
}
