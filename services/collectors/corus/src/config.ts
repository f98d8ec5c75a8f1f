/**
 * Configuration of the Corus collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/itron-corus/README.md "Collector
 * configuration"): the generic collector configuration of `@busbar/collector-kit` with the Corus
 * module's devices (`devicesFile`, the device file the commander reads too, or `devices` inline),
 * plus `stateDir`, the directory of the log-backfill cursors.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { collectorConfigSchema as schemaFor, loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { createCorusModule } from '@busbar/module-corus';
import type { ResolvedCorusDevice } from '@busbar/module-corus';

/** Default port of the collector's `/metrics` + `/healthz` server. */
const DEFAULT_OPS_PORT = 9470;

/** The Corus collector's own fields. */
const corusShape = {
  /**
   * Directory of the log-backfill cursors (`<deviceId>.json`: last published record time per
   * log), written atomically after Kafka acknowledged the records; relative to the configuration
   * file. Keep it on persistent storage.
   */
  stateDir: z.string().min(1).default('./state/collector-corus'),
};

/** The module as far as configuration goes (no state directory needed to read a file). */
const schemaModule = createCorusModule();

/** The whole file. */
export const collectorConfigSchema = schemaFor(schemaModule, DEFAULT_OPS_PORT, corusShape);

/** The validated configuration: devices resolved (maps validated, `mapFile` read), `stateDir` absolute. */
export type CollectorConfig = CollectorConfigOf<ResolvedCorusDevice> & { readonly stateDir: string };

/**
 * Loads and validates the collector configuration and its devices; `stateDir` is made absolute
 * against the file's directory.
 *
 * @throws {ConfigError} naming the bad field (of the file or of the device file).
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const cfg = load<ResolvedCorusDevice>(schemaModule, DEFAULT_OPS_PORT, file, env, corusShape) as CollectorConfigOf<ResolvedCorusDevice> & { readonly stateDir: string };
  return { ...cfg, stateDir: resolve(file ? dirname(resolve(file)) : process.cwd(), cfg.stateDir) };
}

/**
 * Resolves an already parsed file (in-process tests, the benchmark): devices from `devices` (maps
 * relative to `baseDir`), `stateDir` absolute.
 *
 * @throws {BusbarError} `BB_CONFIG_INVALID` naming the device field at fault.
 */
export function resolveCollectorConfig(cfg: z.output<typeof collectorConfigSchema>, baseDir: string): CollectorConfig {
  const { devices, devicesFile: _file, ...rest } = cfg;
  return { ...rest, stateDir: resolve(baseDir, cfg.stateDir), devices: schemaModule.resolveDevices(devices ?? [], baseDir) };
}
