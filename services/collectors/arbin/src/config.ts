/**
 * Configuration of the Arbin collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see packages/drivers/arbin-cti/README.md "Collector
 * configuration"). `devices` has the same shape as the commander's `arbin.devices` (one schema in
 * @busbar/actions): point both services at the same list. Credentials are not in this file: they
 * come from `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD` (or `*_FILE` secrets).
 */
import { z } from 'zod';
import { arbinCommanderSectionSchema } from '@busbar/actions';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';
import { collectorCommonShape } from '@busbar/collector-kit';

/** Default port of the collector's `/metrics` + `/healthz` server. */
export const DEFAULT_OPS_PORT = 9468;

/** The whole file. */
export const collectorConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  /** `instanceId` (names the consumer group of routed commands) and `maxCommandLifetimeMs`. */
  ...collectorCommonShape,
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(DEFAULT_OPS_PORT) }).default({ host: '127.0.0.1', port: DEFAULT_OPS_PORT }),
  /** The cyclers, with their channels and command limits (same schema as the commander's `arbin.devices`). */
  devices: arbinCommanderSectionSchema.shape.devices,
});

/** The validated configuration. */
export type CollectorConfig = z.output<typeof collectorConfigSchema>;

/** One configured cycler. */
export type ArbinDevice = CollectorConfig['devices'][number];

/**
 * Loads and validates the collector configuration.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return loadConfig(collectorConfigSchema, { file, env });
}
