/**
 * Configuration of the Modbus collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`): the generic collector configuration of
 * `@busbar/collector-kit` with the Modbus module's devices (`devicesFile`, shared with the commander,
 * or `devices` inline; see README "Modbus collector configuration").
 */
import { collectorConfigSchema as schemaFor, loadCollectorConfig as load } from '@busbar/collector-kit';
import type { CollectorConfigOf } from '@busbar/collector-kit';
import { modbusModule } from '@busbar/module-modbus';
import type { ResolvedModbusDevice } from '@busbar/module-modbus';

/** Default port of the ops endpoint (`/metrics`, `/healthz`). */
export const OPS_PORT = 9464;

/** The whole file. */
export const collectorConfigSchema = schemaFor(modbusModule, OPS_PORT);

/** The validated configuration. */
export type CollectorConfig = CollectorConfigOf<ResolvedModbusDevice>;

/**
 * Loads and validates the collector configuration and its devices.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return load<ResolvedModbusDevice>(modbusModule, OPS_PORT, file, env);
}
