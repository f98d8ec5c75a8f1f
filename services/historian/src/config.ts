/**
 * Configuration of the historian (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 * The InfluxDB token may come from `influx.token`, `influx.tokenFile`, or `BUSBAR_INFLUX__TOKEN`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { ConfigError, loadConfig } from '@busbar/runtime';

/** The whole file. Unknown keys are refused in every section. */
export const historianConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  /** Consumer group: run more historians with the same group to share the partitions. */
  groupId: z.string().min(1).default('busbar-historian'),
  /** How much the historian works on at once (README "Performance"). */
  pipeline: z
    .object({
      /** Partitions whose batches are decoded and written at the same time (default 4); each partition still commits only after InfluxDB acknowledged its batch. */
      partitionsConcurrently: z.number().int().min(1).max(64).default(4),
      /** Most line-protocol bytes built and not yet acknowledged by InfluxDB, over all partitions, bytes (default 32 MiB); a batch larger than this is written alone. */
      inFlightBytes: z.number().int().min(65_536).default(32 * 1024 * 1024),
    })
    .strict()
    .default({ partitionsConcurrently: 4, inFlightBytes: 32 * 1024 * 1024 }),
  influx: z
    .object({
      url: z.url(),
      org: z.string().min(1),
      bucket: z.string().min(1),
      token: z.string().min(1).optional(),
      tokenFile: z.string().min(1).optional(),
      /** Lines per write request (default 5000). */
      batchLines: z.number().int().min(1).max(100_000).default(5000),
      /** Write timeout, ms (default 10 000). */
      timeoutMs: z.number().int().min(100).default(10_000),
      /** Retry delays while InfluxDB is unavailable, ms. */
      retryInitialMs: z.number().int().min(10).default(500),
      retryMaxMs: z.number().int().min(10).default(15_000),
      /** Interval of the readiness check of InfluxDB (an empty write: token, org, bucket), ms (default 15 000). */
      checkIntervalMs: z.number().int().min(100).default(15_000),
      /**
       * gzip level of write requests, 0 (off) … 9 (default 0: chosen by measurement on loopback,
       * README "Performance"; a remote InfluxDB behind a slow link gains from 1).
       */
      gzipLevel: z.number().int().min(0).max(9).default(0),
    })
    .strict()
    .refine((i) => i.token !== undefined || i.tokenFile !== undefined, { message: 'give token or tokenFile', path: ['token'] }),
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9465) }).strict().default({ host: '127.0.0.1', port: 9465 }),
}).strict();

/** The validated configuration (token resolved). */
export type HistorianConfig = z.output<typeof historianConfigSchema> & { readonly influx: { readonly token: string } };

/**
 * Loads and validates the configuration, reading `influx.tokenFile` if given (a relative path is
 * relative to the configuration file's folder, like the alerter's secret files; the working
 * directory without a file).
 *
 * @throws {ConfigError} naming the bad field.
 */
export function loadHistorianConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): HistorianConfig {
  const cfg = loadConfig(historianConfigSchema, { file, env });
  let token = cfg.influx.token;
  if (token === undefined) {
    try {
      token = readFileSync(resolve(file === undefined ? process.cwd() : dirname(resolve(file)), cfg.influx.tokenFile!), 'utf8').trim();
    } catch (cause) {
      throw new ConfigError('BB_CONFIG_INVALID', `influx.tokenFile: cannot read ${cfg.influx.tokenFile}: ${(cause as Error).message}`, { cause });
    }
  }
  return { ...cfg, influx: { ...cfg.influx, token } };
}
