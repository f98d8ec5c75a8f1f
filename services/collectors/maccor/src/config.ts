/**
 * Configuration of the Maccor collector (YAML/JSON file given with `--config`, or `BUSBAR_CONFIG`;
 * environment overrides `BUSBAR_<PATH>`; see the driver README "Collector configuration").
 * `devices` is the same list as the commander's `maccor.devices`.
 */
import { z } from 'zod';
import { maccorCommanderSectionSchema } from '@busbar/actions';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';
import { collectorCommonShape } from '@busbar/collector-kit';

/** Default port of `/metrics` and `/healthz`. */
export const DEFAULT_OPS_PORT = 9469;

/** The whole file. */
export const collectorConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  /** `instanceId` (names the consumer group of routed commands) and `maxCommandLifetimeMs`. */
  ...collectorCommonShape,
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(DEFAULT_OPS_PORT) }).default({ host: '127.0.0.1', port: DEFAULT_OPS_PORT }),
  devices: maccorCommanderSectionSchema.shape.devices,
});

/** The validated configuration. */
export type CollectorConfig = z.output<typeof collectorConfigSchema>;

/**
 * Loads and validates the collector configuration.
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadCollectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return loadConfig(collectorConfigSchema, { file, env });
}
