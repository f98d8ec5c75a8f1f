/**
 * Configuration of the BaSyTec collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/basytec/README.md "Collector"): the
 * generic collector configuration of `@busbar/collector-kit` with the BaSyTec module's testers
 * (`devicesFile`, the device file the commander reads too, or `devices` inline).
 */
import { collectorConfigSchema as schemaFor, loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { createBasytecModule } from '@busbar/module-basytec';
import type { BasytecDeviceConfig } from '@busbar/module-basytec';

/** Default port of the collector's `/metrics` + `/healthz` server. */
export const DEFAULT_OPS_PORT = 9473;

const schemaModule = createBasytecModule();

/** The whole file. */
export const collectorConfigSchema = schemaFor(schemaModule, DEFAULT_OPS_PORT);

/** The validated configuration. */
export type CollectorConfig = CollectorConfigOf<BasytecDeviceConfig>;

/**
 * Loads and validates the collector configuration and its testers (paths resolved against the
 * file that lists them).
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return load<BasytecDeviceConfig>(schemaModule, DEFAULT_OPS_PORT, file, env);
}
