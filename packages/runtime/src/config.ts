/**
 * Service configuration: a YAML or JSON file, then environment overrides, validated once at start
 * against a zod schema (STYLE.md example 10). A bad value stops the service with a message naming
 * the field; safety limits are never defaulted (their schemas have no defaults).
 *
 * Environment overrides: `<PREFIX><PATH>` where PATH is the config path in upper case with `__`
 * between levels, e.g. `BUSBAR_KAFKA__BROKERS=127.0.0.1:9092,127.0.0.1:9093` sets `kafka.brokers`.
 * Segments are turned to camelCase (`POLL_INTERVAL_MS` → `pollIntervalMs`). A numeric segment indexes
 * an array: `BUSBAR_RULES__0__FOR_MS=5000` sets `rules[0].forMs` and keeps the other rules and the
 * other fields of rule 0 (an index may be at most the array's length, which appends; an absent array
 * is created; inside an existing mapping a numeric segment is an ordinary key). Overrides apply
 * shallowest path first, so `BUSBAR_KAFKA__BROKERS` wins over a `brokers` inside `BUSBAR_KAFKA`.
 *
 * The type of an environment value is decided by the schema, not by the look of the string. Each
 * value keeps its raw string and is first taken as JSON when it parses to a number, boolean, null,
 * array or object (a JSON string literal is not unquoted: `"x"` stays the four characters). Then,
 * for every validation issue at exactly that path (`invalid_type`, or `invalid_value` for enums and
 * literals; the options of a union count too), the value is re-read, each step at most once and in
 * this order:
 *  - a string is expected → the raw string (`BUSBAR_GROUP_ID=1234` gives `"1234"`; a comma in a
 *    password or in `from: Busbar, Lab <x@y>` stays in the string);
 *  - an array is expected → the raw string split on commas, items trimmed, empty items dropped, each
 *    item then read by the same rules (`BUSBAR_EMAIL__TO=a@x` gives `["a@x"]`, `BUSBAR_PORTS=1,2`
 *    gives `[1, 2]` for an array of numbers).
 * Numbers, booleans and objects have no second reading: a value that is not valid JSON for them is
 * reported as the bad field, with the environment variable that set it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { BusbarError } from '@busbar/core';
import { describeIssues } from './config-issues.js';

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
  /** Environment variables under the prefix that are not configuration (default `BUSBAR_CONFIG`, `BUSBAR_LOG_LEVEL`, the CLI's `BUSBAR_COMMAND_KEY`, `BUSBAR_COMMAND_KEY_ID`, `BUSBAR_ISSUER`, and `BUSBAR_CACHE_DIR`). */
  readonly ignoreEnv?: readonly string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Loads, merges and validates a configuration.
 *
 * @param schema - zod schema of the configuration (defaults in it are the documented defaults).
 * @returns the parsed, deeply frozen configuration.
 * @throws {ConfigError} `BB_CONFIG_UNREADABLE` when the file cannot be read or parsed;
 *   `BB_CONFIG_INVALID` listing each bad field as `path.to.field: message` — list items named by
 *   their `id` when they have one (`devices[id=rack-1].port`), else by index (`email.to[0]`); an
 *   unknown key as `path.key: unknown key (did you mean "topics"?)` (see `describeIssues`) — (followed by
 *   `(from BUSBAR_X)` when an environment variable set it or a parent of it), or naming the variable
 *   whose array index is past the end of the array.
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
  // not configuration: the services' and the CLI's own variables, and the scripts' cache directory
  const ignore = new Set(options.ignoreEnv ?? [`${prefix}CONFIG`, `${prefix}LOG_LEVEL`, `${prefix}COMMAND_KEY`, `${prefix}COMMAND_KEY_ID`, `${prefix}ISSUER`, `${prefix}CACHE_DIR`]);
  const overrides: EnvValue[] = [];
  const byPath = new Map<string, EnvValue>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined || ignore.has(name)) continue;
    const leaf: EnvValue = { variable: name, path: name.slice(prefix.length).split('__').map(toCamel), raw: value, reading: 'json', splittable: true };
    overrides.push(leaf);
  }
  // Shallowest first, so a deeper override lands inside a shallower one; ties in name order.
  overrides.sort((a, b) => a.path.length - b.path.length || (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0));
  for (const leaf of overrides) byPath.set(pathKey(leaf.path), leaf);
  const base = raw;
  // Each round either succeeds, fails for good, or moves at least one value to a later reading;
  // readings never go back and item values cannot split, so the loop ends.
  for (;;) {
    let merged: Json = base;
    for (const leaf of overrides) merged = setPath(merged, leaf, valueOf(leaf));
    const result = schema.safeParse(merged);
    if (result.success) return deepFreeze(result.data) as z.output<S>;
    const issues = result.error.issues as readonly IssueLike[];
    if (reread(issues, byPath)) continue;
    const described = describeIssues(schema, issues, merged);
    const lines = issues.flatMap((i) => {
      const from = sourceOf(i.path, byPath);
      return describeIssues(schema, [i], merged).map((d) => `${d.line}${from ? ` (from ${from})` : ''}`);
    });
    throw new ConfigError('BB_CONFIG_INVALID', `invalid configuration${options.file ? ` in ${options.file}` : ''}:\n  ${lines.join('\n  ')}`, {
      context: { file: options.file ?? null, fields: described.map((d) => d.field).join(',') },
    });
  }
}

/** `POLL_INTERVAL_MS` → `pollIntervalMs`; `brokers` stays. */
function toCamel(segment: string): string {
  const lower = segment.toLowerCase();
  return lower.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** How an environment value is read; later readings are tried only when the schema asks for them. */
type Reading = 'json' | 'string' | 'split';
const READING_RANK: Record<Reading, number> = { json: 0, string: 1, split: 2 };

/** One environment value (or one comma-separated item of one), with its raw string kept. */
interface EnvValue {
  /** The variable that set it, for messages. */
  readonly variable: string;
  /** Config path (camelCase segments; array indexes as decimal strings). */
  readonly path: readonly string[];
  readonly raw: string;
  reading: Reading;
  /** False for the items of a split value: nested arrays are not built from commas. */
  readonly splittable: boolean;
  items?: EnvValue[];
}

/** The parts of a zod v4 issue this module reads. */
interface IssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: string;
  /** `invalid_union`: the issues of each option, paths relative to the union. */
  readonly errors?: readonly (readonly IssueLike[])[];
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('\u0000');
}

/** JSON when the raw string parses to anything but a string; otherwise undefined. */
function jsonOf(raw: string): { value: Json } | undefined {
  try {
    const value = JSON.parse(raw) as Json;
    return typeof value === 'string' ? undefined : { value };
  } catch {
    return undefined;
  }
}

function valueOf(v: EnvValue): Json {
  switch (v.reading) {
    case 'json': {
      const json = jsonOf(v.raw);
      return json ? json.value : v.raw;
    }
    case 'string':
      return v.raw;
    case 'split':
      return (v.items ?? []).map(valueOf);
  }
}

/** The reading an issue at a value's own path asks for, if any. */
function wantedReading(issue: IssueLike): Reading | undefined {
  if (issue.code === 'invalid_type' && issue.expected === 'string') return 'string';
  if (issue.code === 'invalid_type' && issue.expected === 'array') return 'split';
  if (issue.code === 'invalid_value') return 'string';
  return undefined;
}

/** Every issue with its absolute path, the options of unions included. */
function* flatten(issues: readonly IssueLike[], prefix: readonly PropertyKey[] = []): Generator<{ issue: IssueLike; path: readonly PropertyKey[] }> {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    yield { issue, path };
    if (issue.code === 'invalid_union') for (const option of issue.errors ?? []) yield* flatten(option, path);
  }
}

/**
 * Moves every environment value that an issue points at to the earliest later reading the issues
 * ask for. @returns whether anything changed.
 */
function reread(issues: readonly IssueLike[], byPath: Map<string, EnvValue>): boolean {
  const wanted = new Map<EnvValue, Reading>();
  for (const { issue, path } of flatten(issues)) {
    const v = byPath.get(pathKey(path));
    const want = wantedReading(issue);
    if (!v || !want || READING_RANK[want] <= READING_RANK[v.reading] || (want === 'split' && !v.splittable)) continue;
    const before = wanted.get(v);
    if (!before || READING_RANK[want] < READING_RANK[before]) wanted.set(v, want);
  }
  for (const [v, reading] of wanted) {
    v.reading = reading;
    if (reading === 'split' && !v.items) {
      v.items = v.raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((item, i) => ({ variable: v.variable, path: [...v.path, String(i)], raw: item, reading: 'json' as const, splittable: false }));
      for (const item of v.items) byPath.set(pathKey(item.path), item);
    }
  }
  return wanted.size > 0;
}

/** The environment variable that set the value at `path` or one of its parents, if any. */
function sourceOf(path: readonly PropertyKey[], byPath: Map<string, EnvValue>): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const v = byPath.get(pathKey(path.slice(0, n)));
    if (v) return v.variable;
  }
  return undefined;
}

function isMapping(value: Json | undefined): value is { [k: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns a copy of `target` with the value at `v.path` replaced. A numeric segment indexes an array
 * (made when absent); into an existing mapping it is a key.
 *
 * @throws {ConfigError} `BB_CONFIG_INVALID` when an index is past the end of its array.
 */
function setPath(target: Json | undefined, v: EnvValue, value: Json, depth = 0): Json {
  const head = v.path[depth];
  if (head === undefined) return value;
  if (/^\d+$/.test(head) && !isMapping(target)) {
    const copy: Json[] = Array.isArray(target) ? [...target] : [];
    const index = Number(head);
    if (index > copy.length) {
      const where = v.path.slice(0, depth).join('.') || '(root)';
      throw new ConfigError('BB_CONFIG_INVALID', `invalid configuration: ${v.variable}: index ${head} is past the end of ${where} (${copy.length} item(s); the next index is ${copy.length})`, {
        context: { variable: v.variable, fields: [...v.path.slice(0, depth), head].join('.') },
      });
    }
    copy[index] = setPath(copy[index], v, value, depth + 1);
    return copy;
  }
  const copy: { [k: string]: Json } = isMapping(target) ? { ...target } : {};
  copy[head] = setPath(copy[head], v, value, depth + 1);
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
