/**
 * Configuration of the Arbin collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/arbin-cti/README.md "Collector
 * configuration"): the generic collector configuration of `@busbar/collector-kit` with the Arbin
 * module's cyclers (`devicesFile`, the device file the commander reads too, or `devices` inline).
 * Credentials are not in this file: they come from `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD`
 * (or `*_FILE` secrets).
 */
import { collectorConfigSchema as schemaFor, loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { createArbinModule } from '@busbar/module-arbin';
import type { ArbinDeviceConfig } from '@busbar/module-arbin';

/** Default port of the collector's `/metrics` + `/healthz` server. */
export const DEFAULT_OPS_PORT = 9468;

/** The module as far as configuration goes (no credentials needed to read a file). */
const schemaModule = createArbinModule();

/** The whole file. */
export const collectorConfigSchema = schemaFor(schemaModule, DEFAULT_OPS_PORT);

/** The validated configuration. */
export type CollectorConfig = CollectorConfigOf<ArbinDeviceConfig>;

/**
 * Loads and validates the collector configuration and its cyclers.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return load<ArbinDeviceConfig>(schemaModule, DEFAULT_OPS_PORT, file, env);
}
