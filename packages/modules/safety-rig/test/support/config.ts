/** The shipped example configuration (examples/), for the tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseInterlockConfig } from '../../src/interlock/config.js';
import type { InterlockConfig } from '../../src/interlock/config.js';
import { resolveRigDevices, rigDevicesSchema } from '../../src/device-config.js';
import type { ResolvedRigDevice } from '../../src/device-config.js';

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

/** The example rig device file, resolved (files relative to examples/). */
export function exampleRig(): ResolvedRigDevice {
  const dir = fileURLToPath(new URL('../../examples/', import.meta.url));
  const raw = parse(readFileSync(`${dir}safety-rig-devices.yaml`, 'utf8')) as { devices: unknown };
  return resolveRigDevices(rigDevicesSchema.parse(raw.devices), dir)[0]!;
}
