/**
 * Bounded, stack-safe text previews of untrusted JSON values for error messages and context.
 *
 * `JSON.stringify` recurses once per nesting level: a hostile reply nested a few thousand levels deep
 * (≈ 30 KB of `{"a":` …) makes it throw a plain `RangeError: Maximum call stack size exceeded`, and a
 * 1 MiB reply would be copied whole into a message. {@link summarizeJson} never descends more than
 * `maxDepth` levels, visits at most `maxKeys` members per object or array, and stops writing after
 * `maxChars` characters, so its cost and output are bounded whatever the input. Pure.
 */

/** Limits of {@link summarizeJson}. */
export interface SummaryLimits {
  /** Characters of output before it is cut with `…` (default 200). */
  readonly maxChars?: number;
  /** Nesting levels shown; deeper objects print as `{…}` and arrays as `[…]` (default 3). */
  readonly maxDepth?: number;
  /** Members shown per object or array before `…` (default 10). */
  readonly maxKeys?: number;
}

/**
 * A JSON-like preview of `value`, at most `maxChars` characters plus a trailing `…` when cut.
 * Never throws (cycles, deep nesting, huge strings and non-JSON values such as bigint or functions
 * print as placeholders).
 * @param value - any value, typically a parsed reply or one of its members.
 * @param limits - output, depth and width bounds.
 * @returns the preview, e.g. `{"jsonrpc":"2.0","id":1987,"x":{"a":{"a":{…}}}}`.
 */
export function summarizeJson(value: unknown, limits: SummaryLimits = {}): string {
  const maxChars = limits.maxChars ?? 200;
  const maxDepth = limits.maxDepth ?? 3;
  const maxKeys = limits.maxKeys ?? 10;
  let out = '';
  const full = (): boolean => out.length > maxChars;
  const write = (v: unknown, depth: number): void => {
    if (full()) return;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') {
      out += String(v);
    } else if (v === undefined) {
      out += 'undefined';
    } else if (typeof v === 'string') {
      out += JSON.stringify(v.length > maxChars ? `${v.slice(0, maxChars)}…` : v);
    } else if (Array.isArray(v)) {
      if (depth >= maxDepth) {
        out += v.length === 0 ? '[]' : '[…]';
        return;
      }
      out += '[';
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ',';
        if (i >= maxKeys) {
          out += `…(${v.length} items)`;
          break;
        }
        write(v[i], depth + 1);
      }
      out += ']';
    } else if (typeof v === 'object') {
      const keys = Object.keys(v);
      if (depth >= maxDepth) {
        out += keys.length === 0 ? '{}' : '{…}';
        return;
      }
      out += '{';
      for (let i = 0; i < keys.length && !full(); i++) {
        if (i > 0) out += ',';
        if (i >= maxKeys) {
          out += `…(${keys.length} keys)`;
          break;
        }
        const k = keys[i] as string;
        out += `${JSON.stringify(k.length > maxChars ? `${k.slice(0, maxChars)}…` : k)}:`;
        write((v as Record<string, unknown>)[k], depth + 1);
      }
      out += '}';
    } else {
      out += `<${typeof v}>`;
    }
  };
  write(value, 0);
  return out.length > maxChars ? `${out.slice(0, maxChars)}…` : out;
}

/**
 * The top-level member names of `value`, comma-separated (at most `maxKeys`, each cut to 64
 * characters, then `,…`), for error context: `''` for anything that is not a plain object.
 */
export function topLevelKeys(value: unknown, maxKeys = 20): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '';
  const keys = Object.keys(value);
  const shown = keys.slice(0, maxKeys).map((k) => (k.length > 64 ? `${k.slice(0, 64)}…` : k));
  return keys.length > maxKeys ? `${shown.join(',')},…` : shown.join(',');
}
