/**
 * The Arbin collector: the Arbin module (`@busbar/module-arbin`) with the CTI credentials, on the
 * generic collector runtime (`@busbar/collector-kit`).
 */
import type { Logger, Metrics } from '@busbar/core';
import { runTestMode as runModuleTestMode, startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import type { ArbinCredentials } from '@busbar/driver-arbin-cti';
import { loadArbinCredentials } from '@busbar/driver-arbin-cti';
import { createArbinModule } from '@busbar/module-arbin';
import type { ArbinDeviceConfig } from '@busbar/module-arbin';
import type { CollectorConfig } from './config.js';

/** Dependencies of {@link startArbinCollector}. */
export interface ArbinCollectorDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** CTI user; default `loadArbinCredentials(process.env)` (`ARBIN_CTI_USERNAME`/`ARBIN_CTI_PASSWORD` or `*_FILE`). */
  readonly credentials?: ArbinCredentials | { readonly username: string; readonly password: string };
}

/**
 * Starts the collector.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_CREDENTIALS_MISSING` when no credentials are configured; when
 *   Kafka cannot be reached at start (the device loops themselves never throw).
 */
export function startArbinCollector(config: CollectorConfig, deps: ArbinCollectorDeps): Promise<RunningCollector> {
  const credentials = deps.credentials ?? loadArbinCredentials(process.env);
  const module = createArbinModule({ credentials, logger: deps.logger, metrics: deps.metrics });
  return startCollector(module, 'collector-arbin', config, deps);
}

/**
 * `--test` mode: logs in to every cycler, polls its channels once and prints the Readings (one JSON
 * line per channel) and the channel DeviceEvents a first poll yields (faults), without Kafka.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of cyclers that failed.
 */
export function runTestMode(devices: readonly ArbinDeviceConfig[], deps: ArbinCollectorDeps & { readonly credentials: NonNullable<ArbinCollectorDeps['credentials']> }, write?: (line: string) => void): Promise<number> {
  return runModuleTestMode(createArbinModule({ credentials: deps.credentials }), devices, deps, write);
}
