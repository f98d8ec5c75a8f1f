/**
 * The BaSyTec collector: the BaSyTec module (`@busbar/module-basytec`) on the generic collector
 * runtime (`@busbar/collector-kit`), plus a `--test` mode that prints the newest rows of each source.
 */
import type { Logger, Metrics } from '@busbar/core';
import { errorCode } from '@busbar/core';
import { startCollector } from '@busbar/collector-kit';
import type { RunningCollector } from '@busbar/collector-kit';
import { createBasytecModule, newestRows, pollRecords } from '@busbar/module-basytec';
import type { BasytecDeviceConfig } from '@busbar/module-basytec';
import type { CollectorConfig } from './config.js';

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start (the device loops themselves never throw).
 */
export function startBasytecCollector(config: CollectorConfig, deps: { readonly logger: Logger; readonly metrics: Metrics; readonly env?: NodeJS.ProcessEnv }): Promise<RunningCollector> {
  return startCollector(createBasytecModule({ logger: deps.logger, env: deps.env }), 'collector-basytec', config, deps);
}

/**
 * `--test` mode: reads every source of every tester with throw-away cursors (the persisted ones
 * are neither read nor advanced) and prints the newest `rows` rows of each file / database test
 * as Readings (JSON lines), without Kafka. A tester that fails prints one line with its error code.
 *
 * @returns the number of testers that failed.
 */
export async function runTestMode(devices: readonly BasytecDeviceConfig[], deps: { readonly logger: Logger; readonly env?: NodeJS.ProcessEnv }, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), rows = 5): Promise<number> {
  let failed = 0;
  let sequence = 0;
  for (const device of devices) {
    try {
      const poll = await newestRows(device, rows, deps.logger.child({ device: device.id }), deps.env);
      for (const r of pollRecords(device.id, poll, new Map(), () => ++sequence).readings) write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    }
  }
  return failed;
}
