/**
 * How a configuration error names its field: list items by their `id` when they have one
 * (`devices[id=rack-1].port`, `rules[id=cell-temp].clear`), otherwise by index (`to[0]`); an unknown
 * key is named with its full path and the nearest known key of that section when one is close
 * ("did you mean `topics`?", by Levenshtein distance: fastest-levenshtein).
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** The parts of a zod v4 issue this module reads. */
export interface ConfigIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** `unrecognized_keys`: the keys. */
  readonly keys?: readonly string[];
}

/**
 * The path of a configuration field as messages show it: `kafka.sasl.mechanism`,
 * `devices[id=rack-1].port` (a list item with a string `id` in `input`), `email.to[1]` (without).
 *
 * @param path - zod issue path (keys and array indexes).
 * @param input - the raw configuration the path points into (ids are read from it).
 * @returns `(top level)` for the empty path.
 */
export function configPath(path: readonly PropertyKey[], input: unknown): string {
  let out = '';
  let node: unknown = input;
  for (const seg of path) {
    if (typeof seg === 'number' || (Array.isArray(node) && /^\d+$/.test(String(seg)))) {
      const item: unknown = Array.isArray(node) ? node[Number(seg)] : undefined;
      const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
      out += typeof id === 'string' && id !== '' ? `[id=${id}]` : `[${String(seg)}]`;
      node = item;
    } else {
      out += out === '' ? String(seg) : `.${String(seg)}`;
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[String(seg)] : undefined;
    }
  }
  return out === '' ? '(top level)' : out;
}

/** zod v4 internals read to find the keys a section accepts (`schema._zod.def`). */
interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly left?: z.ZodType;
  readonly right?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas reachable at `path` from `schema` (several through unions). */
function objectsAt(schema: z.ZodType | undefined, path: readonly PropertyKey[], depth = 0): z.ZodType[] {
  if (schema === undefined || depth > 64) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return objectsAt(def.innerType, path, depth + 1);
    case 'pipe':
      return [...objectsAt(def.in, path, depth + 1), ...objectsAt(def.out, path, depth + 1)];
    case 'lazy':
      return objectsAt(def.getter?.(), path, depth + 1);
    case 'union':
      return (def.options ?? []).flatMap((o) => objectsAt(o, path, depth + 1));
    case 'intersection':
      return [...objectsAt(def.left, path, depth + 1), ...objectsAt(def.right, path, depth + 1)];
    case 'object': {
      const [head, ...rest] = path;
      if (head === undefined) return [schema];
      return objectsAt(def.shape?.[String(head)], rest, depth + 1);
    }
    case 'array':
      return path.length === 0 ? [] : objectsAt(def.element, path.slice(1), depth + 1);
    case 'record':
      return path.length === 0 ? [] : objectsAt(def.valueType, path.slice(1), depth + 1);
    default:
      return [];
  }
}

/** The keys the section at `path` accepts (union of its object shapes). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((o) => Object.keys(defOf(o).shape ?? {})))];
}

/** The known key nearest to `key` when it is a likely misspelling (distance ≤ max(2, a third of its length)), else undefined. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key, [...known]);
  const d = distance(key.toLowerCase(), best.toLowerCase());
  return d <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * One message line per problem, each naming its field: `<path>: <message>`; an unknown key as
 * `<path>.<key>: unknown key (did you mean "<known>"?)` or `(known keys: a, b, c)`.
 *
 * @param schema - the schema that produced the issues.
 * @param issues - zod issues.
 * @param input - the raw configuration validated.
 */
export function describeIssues(schema: z.ZodType, issues: readonly ConfigIssue[], input: unknown): { field: string; line: string }[] {
  const out: { field: string; line: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const field = configPath([...issue.path, key], input);
        const near = suggestKey(key, known);
        const hint = near !== undefined ? `did you mean "${near}"?` : known.length > 0 ? `known keys: ${known.join(', ')}` : 'no keys are allowed here';
        out.push({ field, line: `${field}: unknown key (${hint})` });
      }
      continue;
    }
    const field = configPath(issue.path, input);
    out.push({ field, line: `${field}: ${issue.message}` });
  }
  return out;
}

/**
 * The sections of a configuration schema that would accept unknown keys (zod objects that are not
 * `.strict()` and have no typed `.catchall(...)`), as paths (`ops`, `devices[].registers[]`, `(top level)`): a test of each service
 * asserts the list is empty, so a misspelt key can never be silently ignored.
 *
 * @param schema - a service's whole configuration schema.
 * @returns paths of the loose sections; empty when every section is strict.
 */
export function looseSections(schema: z.ZodType): string[] {
  const found = new Set<string>();
  const seen = new Set<z.ZodType>();
  const walk = (s: z.ZodType | undefined, path: string): void => {
    if (s === undefined || seen.has(s)) return;
    seen.add(s);
    const def = defOf(s) as Def & { catchall?: z.ZodType; items?: readonly z.ZodType[]; rest?: z.ZodType };
    switch (def.type) {
      case 'object':
        // loose: no catchall (zod strips unknown keys) or `unknown`/`any` (passes them through);
        // a typed catchall (`.catchall(schema)`: named entries) validates every extra key, so it counts as strict
        if (def.catchall === undefined || ['unknown', 'any'].includes(defOf(def.catchall).type)) found.add(path === '' ? '(top level)' : path);
        for (const [k, v] of Object.entries(def.shape ?? {})) walk(v, path === '' ? k : `${path}.${k}`);
        return walk(def.catchall, `${path}.*`);
      case 'array':
        return walk(def.element, `${path}[]`);
      case 'record':
        return walk(def.valueType, `${path}.*`);
      case 'tuple':
        for (const item of def.items ?? []) walk(item, `${path}[]`);
        return walk(def.rest, `${path}[]`);
      case 'union':
        for (const o of def.options ?? []) walk(o, path);
        return;
      case 'intersection':
        walk(def.left, path);
        return walk(def.right, path);
      case 'pipe':
        walk(def.in, path);
        return walk(def.out, path);
      case 'lazy':
        return walk(def.getter?.(), path);
      default:
        return walk(def.innerType, path);
    }
  };
  walk(schema, '');
  return [...found];
}
