/**
 * Configuration of the Maccor collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/maccor-macnet/README.md "Collector
 * configuration"): the generic collector configuration of `@busbar/collector-kit` with the Maccor
 * module's testers (`devicesFile`, the device file the commander reads too, or `devices` inline).
 */
import { collectorConfigSchema as schemaFor, loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { createMaccorModule } from '@busbar/module-maccor';
import type { MaccorDeviceConfig } from '@busbar/module-maccor';

/** Default port of the collector's `/metrics` + `/healthz` server. */
export const DEFAULT_OPS_PORT = 9469;

/** The module as far as configuration goes. */
const schemaModule = createMaccorModule();

/** The whole file. */
export const collectorConfigSchema = schemaFor(schemaModule, DEFAULT_OPS_PORT);

/** The validated configuration. */
export type CollectorConfig = CollectorConfigOf<MaccorDeviceConfig>;

/**
 * Loads and validates the collector configuration and its testers.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return load<MaccorDeviceConfig>(schemaModule, DEFAULT_OPS_PORT, file, env);
}
