/**
 * One device file per protocol, read by both the collector that polls the devices and the commander
 * that validates their commands — so the limits the commander enforces are the ones the collector
 * maps, and nobody keeps a copy by hand.
 *
 * A service's section for a protocol names its devices either inline (`devices: [...]`) or, the
 * recommended way, in a file (`devicesFile: modbus-devices.yaml`, relative to the service's
 * configuration file) that holds a mapping with one key, `devices:`. Files the entries name
 * (`mapFile`) are resolved relative to the devices file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import type { AnyProtocolModule, DeviceConfigBase } from './module.js';

/**
 * The zod fields of a section that names a protocol's devices: `devices` (inline, validated by the
 * module's schema, so environment overrides of its fields keep their types) or `devicesFile`.
 * Exactly one of them must be given; {@link loadDevices} checks it.
 */
export function deviceSourceShape<M extends AnyProtocolModule>(module: M) {
  return {
    /** The devices, inline. */
    devices: module.devicesSchema.optional() as z.ZodOptional<M['devicesSchema']>,
    /** Path of a YAML/JSON file holding `devices: [...]`, relative to the configuration file. */
    devicesFile: z.string().min(1).optional(),
  };
}

/** A parsed section with {@link deviceSourceShape}'s fields. */
export interface DeviceSource {
  readonly devices?: readonly unknown[] | undefined;
  readonly devicesFile?: string | undefined;
}

/**
 * Reads a section's devices: the inline list or the devices file, validated by the module's schema
 * and resolved (`mapFile`...) relative to the file that holds them.
 *
 * @param prefix - the section's path in the configuration file, as a prefix of the field names in
 *   error messages: `''` for a collector's top level, `'modbus.'` for the commander's `modbus:` section.
 * @param baseDir - folder of the service's configuration file.
 * @returns the module's resolved devices.
 * @throws {BusbarError} `BB_CONFIG_INVALID` when both or neither of `devices`/`devicesFile` are given,
 *   when the file cannot be read or parsed, or naming `<file>: devices.<i>.<field>` for an invalid entry.
 */
export function loadDevices<D extends DeviceConfigBase>(module: AnyProtocolModule, source: DeviceSource, prefix: string, baseDir: string): readonly D[] {
  if ((source.devices === undefined) === (source.devicesFile === undefined)) {
    throw new BusbarError('BB_CONFIG_INVALID', `${prefix}devices / ${prefix}devicesFile: give exactly one of devices (inline) or devicesFile (the ${module.protocol} device file shared with the ${module.protocol} collector / the commander)`);
  }
  if (source.devices !== undefined) return module.resolveDevices(source.devices, baseDir) as readonly D[];
  const path = resolve(baseDir, source.devicesFile!);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new BusbarError('BB_CONFIG_INVALID', `${prefix}devicesFile: cannot read ${path}: ${(cause as Error).message}`, { cause, context: { file: path } });
  }
  const parsed = z.object({ devices: module.devicesSchema }).strict().safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new BusbarError('BB_CONFIG_INVALID', `${prefix}devicesFile ${path}: ${issues.join('; ')}`, { context: { file: path } });
  }
  return module.resolveDevices(parsed.data.devices, dirname(path)) as readonly D[];
}
