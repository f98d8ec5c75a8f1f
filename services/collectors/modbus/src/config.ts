/**
 * Configuration of the Modbus collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see README "Modbus collector configuration").
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { modbusDevicesSchema, resolveModbusDevices } from '@busbar/actions';
import type { ResolvedModbusDevice } from '@busbar/actions';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';
import { collectorCommonShape } from '@busbar/collector-kit';

/** The whole file. */
export const collectorConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  /** `instanceId` (names the consumer group of routed commands) and `maxCommandLifetimeMs`. */
  ...collectorCommonShape,
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).default({ host: '127.0.0.1', port: 9464 }),
  devices: modbusDevicesSchema,
});

/** The validated configuration. */
export type CollectorConfig = Omit<z.output<typeof collectorConfigSchema>, 'devices'> & { readonly devices: readonly ResolvedModbusDevice[] };

/**
 * Loads and validates the collector configuration.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const cfg = loadConfig(collectorConfigSchema, { file, env });
  return { ...cfg, devices: resolveModbusDevices(cfg.devices, file ? dirname(resolve(file)) : process.cwd()) };
}
