/**
 * `checkConfigFile`: validates a configuration file as the service that reads it would, the service
 * named or detected — behind `busbar config check FILE [--service S]`.
 */
import { BusbarError } from '@busbar/core';
import { ConfigError } from './config.js';

/**
 * A service's configuration loader, as each service exports it (`loadHistorianConfig`,
 * `loadCollectorConfig` of `@busbar/collector-modbus`...): validates `file` with the environment
 * `env`, reads the files it names (devices, maps, secrets) and throws a `ConfigError` naming the field.
 */
export type ConfigLoader = (file: string, env: NodeJS.ProcessEnv) => unknown;

/** Options of {@link checkConfigFile}. */
export interface CheckConfigOptions {
  /** The service the file is for (a key of `loaders`); absent: detected. */
  readonly service?: string | undefined;
  /** Environment overrides to apply, as at start (default none: the file alone). */
  readonly env?: NodeJS.ProcessEnv;
}

/** What {@link checkConfigFile} found. */
export interface ConfigCheck {
  /** The service the file is valid for (the named one, or the one detected). */
  readonly service: string;
  /** The loaded configuration, as that service would run with it. */
  readonly config: unknown;
  /** Other services the file is also valid for (detection only; usually none). */
  readonly alsoValidFor: readonly string[];
}

/** Number of problems a loader's error lists (one per line after the first). */
function problemsOf(err: unknown): number {
  return err instanceof Error ? Math.max(1, err.message.split('\n').length - 1) : Number.MAX_SAFE_INTEGER;
}

/**
 * Validates `file` as the configuration of `options.service`, or of whichever service it is valid for.
 *
 * Detection runs every loader: the file belongs to the one that accepts it (every section of every
 * service refuses unknown keys, so a file valid for two services is rare; they are all reported).
 * When none accepts it, the error is the one of the service it comes closest to (fewest problems).
 *
 * @param file - path of the YAML/JSON file.
 * @param loaders - the services by name (`historian`, `alerter`, `commander`, `collector-modbus`...).
 * @returns the service and its loaded configuration.
 * @throws {ConfigError} `BB_CONFIG_SERVICE_UNKNOWN` when `options.service` is not in `loaders`;
 *   the loader's `BB_CONFIG_UNREADABLE` / `BB_CONFIG_INVALID` (each bad field named, list items by
 *   id) for the named service; when detecting and no service accepts the file, `BB_CONFIG_INVALID`
 *   with the closest service's problems, its message starting `not a valid configuration of any service; closest: <service>`.
 */
export function checkConfigFile(file: string, loaders: Readonly<Record<string, ConfigLoader>>, options: CheckConfigOptions = {}): ConfigCheck {
  const env = options.env ?? {};
  const names = Object.keys(loaders);
  if (options.service !== undefined) {
    const loader = loaders[options.service];
    if (loader === undefined) throw new ConfigError('BB_CONFIG_SERVICE_UNKNOWN', `unknown service ${JSON.stringify(options.service)}; one of ${names.join(', ')}`, { context: { service: options.service } });
    return { service: options.service, config: loader(file, env), alsoValidFor: [] };
  }
  const valid: { service: string; config: unknown }[] = [];
  const failures: { service: string; err: unknown }[] = [];
  for (const service of names) {
    try {
      valid.push({ service, config: loaders[service]!(file, env) });
    } catch (err) {
      if (err instanceof BusbarError && err.code === 'BB_CONFIG_UNREADABLE') throw err; // the file itself: no service can read it
      failures.push({ service, err });
    }
  }
  const [first, ...others] = valid;
  if (first !== undefined) return { service: first.service, config: first.config, alsoValidFor: others.map((v) => v.service) };
  const closest = failures.reduce((best, f) => (problemsOf(f.err) < problemsOf(best.err) ? f : best));
  const message = closest.err instanceof Error ? closest.err.message : String(closest.err);
  throw new ConfigError('BB_CONFIG_INVALID', `${file}: not a valid configuration of any service; closest: ${closest.service}\n${message}`, { cause: closest.err, context: { file, service: closest.service } });
}
