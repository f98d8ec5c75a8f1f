/**
 * Configuration of the Corus collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/itron-corus/README.md "Collector
 * configuration").
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { corusCommanderSectionSchema, createCorusBinding } from '@busbar/actions';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';
import { collectorCommonShape } from '@busbar/collector-kit';

/**
 * The Corus binding of `@busbar/actions` (resolved devices + action preparation). Named here from
 * `createCorusBinding` because `@busbar/actions`' entry does not re-export the type (yet).
 */
export type CorusBinding = ReturnType<typeof createCorusBinding>;
/** One resolved device (validated map, polled parameter names, backfilled log names). */
export type ResolvedCorusDevice = CorusBinding['devices'][number];

/** The whole file. `devices` is the same list (same schema) as the commander's `corus.devices`. */
export const collectorConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  /** `instanceId` (names the consumer group of routed commands) and `maxCommandLifetimeMs`. */
  ...collectorCommonShape,
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9470) }).default({ host: '127.0.0.1', port: 9470 }),
  /**
   * Directory of the log-backfill cursors (`<deviceId>.json`: last published record time per
   * log), written atomically after Kafka acknowledged the records. Keep it on persistent storage.
   */
  stateDir: z.string().min(1).default('./state/collector-corus'),
  devices: corusCommanderSectionSchema.shape.devices,
});

/** The parsed file (before maps are resolved). */
export type CollectorConfigInput = z.output<typeof collectorConfigSchema>;

/** The validated configuration: the devices come resolved inside `binding` (maps validated, `mapFile` read). */
export type CollectorConfig = Omit<CollectorConfigInput, 'devices'> & {
  /** The Corus binding built from `devices` (resolved devices, action preparation). */
  readonly binding: CorusBinding;
};

/**
 * Resolves a parsed configuration: reads `mapFile`s relative to `baseDir`, validates the maps,
 * the polled parameters and logs, and makes `stateDir` absolute.
 *
 * @throws {BusbarError} `BB_CONFIG_INVALID` naming the device field at fault.
 */
export function resolveCollectorConfig(cfg: CollectorConfigInput, baseDir: string): CollectorConfig {
  const { devices, ...rest } = cfg;
  return { ...rest, stateDir: resolve(baseDir, cfg.stateDir), binding: createCorusBinding({ devices }, cfg.topics.deviceCommands, { baseDir }) };
}

/**
 * Loads and validates the collector configuration.
 *
 * @throws {ConfigError} naming the bad field; {@link BusbarError} `BB_CONFIG_INVALID` for a bad map.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const cfg = loadConfig(collectorConfigSchema, { file, env });
  return resolveCollectorConfig(cfg, file ? dirname(resolve(file)) : process.cwd());
}
