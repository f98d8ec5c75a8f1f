/**
 * Configuration fields every collector shares (spread into each collector's zod schema), and the
 * whole configuration of a collector built on a protocol module.
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import type { AnyProtocolModule, DeviceConfigBase } from '@busbar/protocol';
import { deviceSourceShape, loadDevices } from '@busbar/protocol';
import { ConfigError, loadConfig } from '@busbar/runtime';

/**
 * Validates a devices file with `loadConfig`'s messages (each device named by its id:
 * `devices[id=rack-1].port`, unknown keys with the nearest known one) before `loadDevices` reads
 * it. A file that cannot be read is left to `loadDevices`, which reports it.
 * @throws {ConfigError} `BB_CONFIG_INVALID` naming the file and each bad field.
 */
function checkDevicesFile(module: AnyProtocolModule, devicesFile: string | undefined, baseDir: string, prefix: string): void {
  if (devicesFile === undefined) return;
  const path = resolve(baseDir, devicesFile);
  try {
    loadConfig(z.object({ devices: module.devicesSchema }).strict(), { file: path, env: {} });
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code === 'BB_CONFIG_UNREADABLE') return;
    const lines = err.message.split('\n').slice(1).join('\n');
    throw new ConfigError(err.code, `${prefix}devicesFile ${path}:\n${lines}`, { context: { ...err.context, file: path } });
  }
}
import type { StoreAndForwardOptions } from './kit.js';

/**
 * - `instanceId`: this process's identity; names its consumer group for routed commands
 *   (`busbar-collector-<protocol>-<instanceId>`). Default: the host name — set it explicitly where
 *   host names change (containers), or a new group replays the routed-commands topic.
 * - `maxCommandLifetimeMs`: the longest command lifetime accepted (expires_at − now), ms; keep it the
 *   same as the commander's `maxCommandLifetimeMs` (default 1 h).
 */
export const collectorCommonShape = {
  instanceId: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be A-Z a-z 0-9 . _ -').default(hostname()),
  maxCommandLifetimeMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
  /**
   * Store-and-forward (docs/architecture.md "Delivery semantics"): readings and device events go to a
   * durable on-disk buffer first, so polling never waits on Kafka.
   * - `path`: the buffer's SQLite file; default `state/<service>-<instanceId>.buffer.sqlite` under the
   *   working directory — keep it on persistent storage (a volume in a container);
   * - `maxBytes` (default 256 MiB) and `maxAgeMs` (default 7 days): beyond them the oldest records
   *   are dropped and counted (`busbar_collector_buffer_dropped_total{reason}`);
   * - `degradedAfterMs` (default 10 s): `/healthz` says `degraded` while the oldest buffered record is older.
   */
  buffer: z
    .object({
      path: z.string().min(1).optional(),
      maxBytes: z.number().int().min(1_048_576).default(268_435_456),
      maxAgeMs: z.number().int().min(60_000).default(604_800_000),
      degradedAfterMs: z.number().int().min(100).default(10_000),
    })
    .strict()
    .default({ maxBytes: 268_435_456, maxAgeMs: 604_800_000, degradedAfterMs: 10_000 }),
  /**
   * The execution journal of routed commands (`@busbar/commands` `ExecutionJournal`, as the
   * commander's): `started` is recorded before a command's bytes leave for an exclusive-session
   * device, `done` with its result after; after a crash an id the journal knows is answered from
   * it (or UNKNOWN), never run again. `path`: its SQLite file, default
   * `state/<service>-<instanceId>.journal.sqlite` — keep it on persistent storage, beside the buffer.
   */
  journal: z.object({ path: z.string().min(1).optional() }).strict().default({}),
};

/**
 * The path of a collector's execution journal (its `journal:` section, or the default).
 *
 * @param service - the service name (`collector-modbus`).
 */
export function journalPathOf(service: string, instanceId: string, journal: { readonly path?: string | undefined }): string {
  return resolve(journal.path ?? join('state', `${service}-${instanceId}.journal.sqlite`));
}

/**
 * The store-and-forward options of a collector's `buffer:` section, with its default path.
 *
 * @param service - the service name (`collector-modbus`).
 */
export function storeAndForwardOptions(service: string, instanceId: string, buffer: { readonly path?: string | undefined; readonly maxBytes: number; readonly maxAgeMs: number; readonly degradedAfterMs: number }): StoreAndForwardOptions {
  return { path: resolve(buffer.path ?? join('state', `${service}-${instanceId}.buffer.sqlite`)), maxBytes: buffer.maxBytes, maxAgeMs: buffer.maxAgeMs, degradedAfterMs: buffer.degradedAfterMs };
}

/** No extra fields. */
type NoFields = Record<never, never>;

/**
 * The configuration file of a collector of `module`'s devices:
 * `kafka`, `topics`, `instanceId`, `maxCommandLifetimeMs`, `ops` (`/metrics`, `/healthz`; default
 * 127.0.0.1:`opsPort`), and the devices — `devicesFile` (the protocol's device file, shared with the
 * commander) or `devices` inline; plus the collector's own top-level fields `extra` (the Corus
 * collector's `stateDir`). Unknown keys are refused.
 */
export function collectorConfigSchema<M extends AnyProtocolModule, E extends z.ZodRawShape = NoFields>(module: M, opsPort: number, extra: E = {} as E) {
  return z
    .object({
      kafka: kafkaConfigSchema,
      topics: topicsConfigSchema,
      ...collectorCommonShape,
      ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(opsPort) }).strict().default({ host: '127.0.0.1', port: opsPort }),
      ...deviceSourceShape(module),
      ...extra,
    })
    .strict();
}

/** A collector's validated configuration with its devices loaded and resolved. */
export type CollectorConfigOf<D extends DeviceConfigBase> = Omit<z.output<ReturnType<typeof collectorConfigSchema<AnyProtocolModule, NoFields>>>, 'devices' | 'devicesFile'> & { readonly devices: readonly D[] };

/**
 * Loads a collector's configuration file (plus `BUSBAR_*` environment overrides) and its devices.
 *
 * @param extra - the collector's own top-level fields (as for {@link collectorConfigSchema}); they
 *   are in the result as parsed (the caller reads them with its own type).
 * @throws {ConfigError} `BB_CONFIG_UNREADABLE` / `BB_CONFIG_INVALID` naming the bad field (of the
 *   file, or of the device file: `devicesFile <path>: devices.<i>.<field>: …`).
 */
export function loadCollectorConfig<D extends DeviceConfigBase>(module: AnyProtocolModule, opsPort: number, file: string | undefined, env: NodeJS.ProcessEnv = process.env, extra: z.ZodRawShape = {}): CollectorConfigOf<D> {
  const cfg = loadConfig(collectorConfigSchema(module, opsPort, extra), { file, env }) as z.output<ReturnType<typeof collectorConfigSchema<AnyProtocolModule, NoFields>>>;
  const { devicesFile, devices, ...rest } = cfg;
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  checkDevicesFile(module, devicesFile, baseDir, '');
  try {
    return { ...rest, devices: loadDevices<D>(module, { devices: devices as readonly unknown[] | undefined, devicesFile }, '', baseDir) };
  } catch (err) {
    if (err instanceof BusbarError && !(err instanceof ConfigError)) throw new ConfigError(err.code, err.message, { cause: err.cause, context: err.context });
    throw err;
  }
}
