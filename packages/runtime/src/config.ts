/**
 * Service configuration: a YAML or JSON file, then environment overrides, validated once at start
 * against a zod schema (STYLE.md example 10). A bad value stops the service with a message naming
 * the field; safety limits are never defaulted (their schemas have no defaults).
 *
 * Environment overrides: `<PREFIX><PATH>` where PATH is the config path in upper case with `__`
 * between levels, e.g. `BUSBAR_KAFKA__BROKERS=127.0.0.1:9092,127.0.0.1:9093` sets `kafka.brokers`.
 * A value that parses as JSON is taken as JSON (numbers, booleans, arrays, objects); a value with a
 * comma and no brackets becomes an array of strings; anything else is a string.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { BusbarError } from '@busbar/core';

/** Thrown when the configuration file cannot be read or parsed, or a value fails validation. */
export class ConfigError extends BusbarError {}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path of a YAML/JSON file; absent = environment only. */
  readonly file?: string | undefined;
  /** The environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Environment variable prefix (default `BUSBAR_`). Variables not starting with it are ignored. */
  readonly envPrefix?: string;
  /** Environment variables under the prefix that are not configuration (e.g. `BUSBAR_CONFIG`). */
  readonly ignoreEnv?: readonly string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Loads, merges and validates a configuration.
 *
 * @param schema - zod schema of the configuration (defaults in it are the documented defaults).
 * @returns the parsed, deeply frozen configuration.
 * @throws {ConfigError} `BB_CONFIG_UNREADABLE` when the file cannot be read or parsed;
 *   `BB_CONFIG_INVALID` listing each bad field as `path.to.field: message`.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const env = options.env ?? process.env;
  const prefix = options.envPrefix ?? 'BUSBAR_';
  let raw: Json = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (cause) {
      throw new ConfigError('BB_CONFIG_UNREADABLE', `cannot read configuration file ${options.file}: ${(cause as Error).message}`, { cause, context: { file: options.file } });
    }
    try {
      raw = (parseYaml(text) as Json) ?? {};
    } catch (cause) {
      throw new ConfigError('BB_CONFIG_UNREADABLE', `configuration file ${options.file} is not valid YAML/JSON: ${(cause as Error).message}`, { cause, context: { file: options.file } });
    }
    if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
      throw new ConfigError('BB_CONFIG_UNREADABLE', `configuration file ${options.file} must hold a mapping at its top level`, { context: { file: options.file } });
    }
  }
  const ignore = new Set(options.ignoreEnv ?? [`${prefix}CONFIG`]);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined || ignore.has(name)) continue;
    const path = name.slice(prefix.length).split('__').map(toCamel);
    raw = setPath(raw as Record<string, Json>, path, parseEnvValue(value));
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError('BB_CONFIG_INVALID', `invalid configuration${options.file ? ` in ${options.file}` : ''}:\n  ${lines.join('\n  ')}`, {
      context: { file: options.file ?? null, fields: result.error.issues.map((i) => i.path.join('.')).join(',') },
    });
  }
  return deepFreeze(result.data) as z.output<S>;
}

/** `POLL_INTERVAL_MS` → `pollIntervalMs`; `brokers` stays. */
function toCamel(segment: string): string {
  const lower = segment.toLowerCase();
  return lower.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function parseEnvValue(value: string): Json {
  try {
    return JSON.parse(value) as Json;
  } catch {
    if (value.includes(',') && !/[[\]{}]/.test(value)) return value.split(',').map((s) => s.trim());
    return value;
  }
}

function setPath(target: Record<string, Json>, path: string[], value: Json): Record<string, Json> {
  const [head, ...rest] = path;
  if (head === undefined) return target;
  const copy: Record<string, Json> = { ...target };
  if (rest.length === 0) {
    copy[head] = value;
  } else {
    const child = copy[head];
    copy[head] = setPath(child && typeof child === 'object' && !Array.isArray(child) ? child : {}, rest, value);
  }
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
