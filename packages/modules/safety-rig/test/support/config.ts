/** The shipped example configuration (examples/interlock.original.yaml), for the tests. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseInterlockConfig } from '../../src/interlock/config.js';
import type { InterlockConfig } from '../../src/interlock/config.js';

/** The example file as parsed YAML (unvalidated). */
export function exampleInput(): Record<string, unknown> {
  return parse(readFileSync(new URL('../../examples/interlock.original.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** The example file, validated; `patch` edits the raw input first. */
export function exampleConfig(patch: (raw: Record<string, unknown>) => void = () => undefined): InterlockConfig {
  const raw = exampleInput();
  patch(raw);
  return parseInterlockConfig(raw);
}
