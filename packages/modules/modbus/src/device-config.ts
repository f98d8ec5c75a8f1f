/**
 * Configuration of one Modbus device, shared by the Modbus collector and the commander (both read
 * the same device file, so the limits the commander enforces are the ones the collector maps).
 */
import { z } from 'zod';
import type { DeviceMap } from '@busbar/driver-modbus';
import { parseRegisterMap, registerMapSchema } from '@busbar/driver-modbus';
import { resolveDeviceMap } from '@busbar/protocol';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A device class: the sub-kind of `record_type` `modbus:<class>` (docs/data-model.md). */
const classPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `connection:` of a Modbus TCP device. */
const tcpSchema = z.object({
  kind: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
}).strict();

/** `connection:` of a Modbus RTU device on a serial line. */
const rtuSchema = z.object({
  kind: z.literal('rtu'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
}).strict();

/**
 * One entry of `devices:`.
 * - `session`: `exclusive` when the device accepts one connection at a time (every RTU line, some
 *   gateways): the collector owns it and executes its commands (docs/architecture.md). Default:
 *   `exclusive` for RTU, `shared` for TCP.
 * - `map` inline, or `mapFile` (JSON/YAML, resolved relative to the configuration file).
 * - `deviceClass`: the kind of device the map describes (`power-supply`, `bms`); it names the
 *   InfluxDB measurement `modbus:<deviceClass>` of the device's readings (docs/data-model.md).
 *   Default: see {@link deviceClassOf}.
 */
export const modbusDeviceSchema = z
  .object({
    id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
    connection: z.discriminatedUnion('kind', [tcpSchema, rtuSchema]),
    unitId: z.number().int().min(0).max(247).default(1),
    timeoutMs: z.number().int().min(10).max(60_000).default(1000),
    pollIntervalMs: z.number().int().min(10).max(86_400_000).default(1000),
    session: z.enum(['shared', 'exclusive']).optional(),
    map: registerMapSchema.optional(),
    mapFile: z.string().min(1).optional(),
    deviceClass: z.string().regex(classPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit').optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!d.map === !d.mapFile) ctx.addIssue({ code: 'custom', path: ['map'], message: 'give exactly one of map or mapFile' });
  })
  .transform((d) => ({ ...d, session: d.session ?? (d.connection.kind === 'rtu' ? 'exclusive' : 'shared') }) as const);

/** A parsed `devices:` entry (before `mapFile` is resolved). */
export type ModbusDeviceConfig = z.output<typeof modbusDeviceSchema>;

/** `devices:` with unique ids. */
export const modbusDevicesSchema = z.array(modbusDeviceSchema).min(1, 'configure at least one device').superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
    seen.add(d.id);
  });
});

/** A device with its register map resolved and validated, and its device class decided. */
export type ResolvedModbusDevice = ModbusDeviceConfig & { readonly registerMap: DeviceMap; readonly deviceClass: string };

/**
 * The device class of a device (the `<class>` of its readings' `record_type` `modbus:<class>`):
 * `deviceClass` when configured; else the `mapFile`'s base name without its extensions
 * (`maps/power-supply.map.json` → `power-supply`), characters outside `A-Z a-z 0-9 . _ -` replaced by
 * `-`; else, for an inline map, the device id — so two different inline maps never share a
 * measurement (set `deviceClass` to group devices that share one).
 */
export function deviceClassOf(d: Pick<ModbusDeviceConfig, 'id' | 'mapFile' | 'deviceClass'>): string {
  if (d.deviceClass !== undefined) return d.deviceClass;
  if (d.mapFile === undefined) return d.id;
  const base = (d.mapFile.split(/[\\/]/).pop() ?? '').replace(/(\.map)?\.(json|ya?ml)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[._-]+/, '').slice(0, 64);
  return base === '' ? d.id : base;
}

/**
 * Resolves each device's `map` or `mapFile` (JSON/YAML, relative to `baseDir`) into a validated
 * register map.
 *
 * @throws {BusbarError} `BB_CONFIG_INVALID` naming `devices[i]` and the map field at fault.
 */
export function resolveModbusDevices(devices: readonly ModbusDeviceConfig[], baseDir: string): ResolvedModbusDevice[] {
  return devices.map((d, i) => ({ ...d, registerMap: resolveDeviceMap(d, i, baseDir, parseRegisterMap), deviceClass: deviceClassOf(d) }));
}
