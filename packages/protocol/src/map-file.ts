/**
 * A device's protocol map as the `devices:` list gives it: inline (`map`) or in a file (`mapFile`,
 * JSON or YAML — YAML is a superset of JSON — resolved relative to the configuration file), then
 * validated by the driver's own map parser. Shared by the Modbus and Corus device configurations,
 * so both name the entry and field at fault the same way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BusbarError } from '@busbar/core';

/**
 * The map fields of one parsed `devices:` entry. The device schemas already require exactly one
 * of `map` and `mapFile`.
 */
export interface DeviceMapSource {
  /** The device id (quoted in error messages). */
  readonly id: string;
  /** Inline map, as the configuration file gives it (validated by the parser passed in). */
  readonly map?: unknown;
  /** Path of a JSON/YAML map file, relative to the configuration file's folder. */
  readonly mapFile?: string | undefined;
}

/**
 * Reads `device.mapFile` (relative to `baseDir`) when set, else takes `device.map`, and validates
 * the result with `parse` (the driver's map parser, e.g. `parseRegisterMap`, `parseCorusMap`).
 *
 * @param device - the parsed `devices[index]` entry.
 * @param index - its 0-based position in `devices:` (named in error messages).
 * @param baseDir - folder `mapFile` is relative to (the configuration file's).
 * @param parse - validates the raw map and returns the driver's map; throws on an invalid one.
 * @returns what `parse` returned.
 * @throws {BusbarError} `BB_CONFIG_INVALID`: `devices[id=<id>].mapFile: cannot read <path>: …` when the
 *   file cannot be read or is not JSON/YAML; `devices[i] (<id>) mapFile <file>: …` (or `… map: …`
 *   for an inline map) when `parse` refuses it. The original error is the `cause`.
 */
export function resolveDeviceMap<M>(device: DeviceMapSource, index: number, baseDir: string, parse: (input: unknown) => M): M {
  let input: unknown = device.map;
  if (device.mapFile) {
    const path = resolve(baseDir, device.mapFile);
    try {
      input = parseYaml(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new BusbarError('BB_CONFIG_INVALID', `devices[id=${device.id}].mapFile: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  }
  try {
    return parse(input);
  } catch (cause) {
    throw new BusbarError('BB_CONFIG_INVALID', `devices[${index}] (${device.id}) ${device.mapFile ? `mapFile ${device.mapFile}` : 'map'}: ${(cause as Error).message}`, { cause });
  }
}
