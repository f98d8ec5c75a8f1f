/**
 * Register maps: what a Modbus device holds, where, and how to turn it into engineering values.
 *
 * Data model (Modbus Application Protocol Specification V1.1b3, §4.3 "MODBUS Data model"):
 *
 *   table              object         access       read FC   write FC
 *   discrete inputs    single bit     read-only    02        —
 *   coils              single bit     read-write   01        05 / 15
 *   input registers    16-bit word    read-only    04        —
 *   holding registers  16-bit word    read-write   03        06 / 16
 *
 * Addresses here are PDU addresses, 0..65535, 0-based (§4.4: "data numbered X is addressed X-1";
 * the "40001"-style numbers of vendor manuals are 1-based and carry the table in their first digit).
 * Registers travel big-endian, high byte first (§4.2). Values wider than one register are split over
 * consecutive registers; their word and byte order are device conventions, not part of the spec.
 *
 * This module is pure: types, the zod schema and {@link parseRegisterMap}.
 */
import { z } from 'zod';
import { ModbusConfigError } from '../errors.js';

/** The four Modbus tables (spec §4.3). */
export type RegisterType = 'holding' | 'input' | 'coil' | 'discrete';

/**
 * How the raw value is stored: two's-complement/unsigned integers and IEEE 754 floats over 1, 2 or 4
 * registers; `bit` is a single coil/discrete input, or bit `bit` (0 = least significant) of one
 * holding/input register.
 */
export type DataType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'bit';

/** Byte order inside each 16-bit register: `big` = high byte first (the spec's order, §4.2). */
export type ByteOrder = 'big' | 'little';

/** Order of the registers of a 32/64-bit value: `big` = most significant register at the lowest address. */
export type WordOrder = 'big' | 'little';

/** A write range in engineering units (both bounds inclusive). For bit points, 0 = off, 1 = on. */
export interface WritableRange {
  /** Lowest accepted value, engineering units. */
  readonly min: number;
  /** Highest accepted value, engineering units. */
  readonly max: number;
}

/**
 * One signal of a device.
 *
 * Engineering value = raw × `scale` + `offset` (raw = the decoded integer or float). For 32/64-bit
 * values the four order combinations give, for bytes A (most significant) … D of a 32-bit value:
 * big/big = `AB CD`, word little = `CD AB`, byte little = `BA DC`, both little = `DC BA`.
 */
export interface RegisterPoint {
  /** Signal name, snake_case, ending in its SI unit where it has one: `voltage_v`, `current_a`, `temperature_c`. Unique in the map. */
  readonly name: string;
  /** Table the point lives in. */
  readonly type: RegisterType;
  /** 0-based PDU address of the (first) register or bit, 0..65535. */
  readonly address: number;
  /** Raw data type; coils and discrete inputs are always `bit`. */
  readonly dataType: DataType;
  /** For `bit` in a holding/input register: the bit number, 0 (least significant) .. 15. Absent for coils/discrete inputs. */
  readonly bit?: number;
  /** Byte order inside each register. @default 'big' */
  readonly byteOrder?: ByteOrder;
  /** Register order for 32/64-bit types. @default 'big' */
  readonly wordOrder?: WordOrder;
  /** Multiplier from raw to engineering units (non-zero, finite). @default 1 */
  readonly scale?: number;
  /** Added after scaling, engineering units. @default 0 */
  readonly offset?: number;
  /** Unit of the engineering value, for display (`V`, `A`, `W`, `°C`). */
  readonly unit?: string;
  /** Accepted write range in engineering units; absent = read-only. Only holding registers and coils can be writable. */
  readonly writable?: WritableRange;
}

/** A device's register map. */
export interface DeviceMap {
  /** The points, in any order. */
  readonly points: readonly RegisterPoint[];
  /** Suggested poll interval for this device, milliseconds (the collector's configuration may override it). */
  readonly pollIntervalMs?: number;
}

/** Number of 16-bit registers a data type occupies (1 for `bit`: the register holding it). */
export function registerWidth(dataType: DataType): 1 | 2 | 4 {
  switch (dataType) {
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    default:
      return 1;
  }
}

/** Whether `type` is a bit table (coils, discrete inputs). */
export function isBitTable(type: RegisterType): type is 'coil' | 'discrete' {
  return type === 'coil' || type === 'discrete';
}

/** Raw integer ranges of the integer data types. */
export const RAW_RANGES: Readonly<Record<'int16' | 'uint16' | 'int32' | 'uint32', readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

const FLOAT32_MAX = 3.4028234663852886e38;

const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

const writableSchema = z
  .object({
    min: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, 'must be a finite number'),
    max: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, 'must be a finite number'),
  })
  .strict();

/**
 * zod schema of one {@link RegisterPoint} (field-level checks; cross-field checks are in
 * {@link registerMapSchema}). Output has the defaults filled in.
 */
export const registerPointSchema = z
  .object({
    name: z.string({ error: 'must be a string' }).regex(NAME_PATTERN, 'must be snake_case: a-z first, then a-z, 0-9 or _, at most 64 characters'),
    type: z.enum(['holding', 'input', 'coil', 'discrete'], { error: 'must be one of holding, input, coil, discrete' }),
    address: z.number({ error: 'must be 0..65535' }).int('must be 0..65535').min(0, 'must be 0..65535').max(65535, 'must be 0..65535'),
    dataType: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bit'], {
      error: 'must be one of int16, uint16, int32, uint32, float32, float64, bit',
    }),
    bit: z.number({ error: 'must be 0..15' }).int('must be 0..15').min(0, 'must be 0..15').max(15, 'must be 0..15').optional(),
    byteOrder: z.enum(['big', 'little'], { error: 'must be big or little' }).default('big'),
    wordOrder: z.enum(['big', 'little'], { error: 'must be big or little' }).default('big'),
    scale: z
      .number({ error: 'must be a finite non-zero number' })
      .refine((s) => Number.isFinite(s) && s !== 0, 'must be a finite non-zero number')
      .default(1),
    offset: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, 'must be a finite number').default(0),
    unit: z.string({ error: 'must be a string' }).max(32, 'must be at most 32 characters').optional(),
    writable: writableSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    const bitTable = isBitTable(p.type);
    if (bitTable && p.dataType !== 'bit') issue('dataType', `must be bit for a ${p.type} (got ${p.dataType})`);
    if (bitTable && p.bit !== undefined) issue('bit', `not allowed for a ${p.type}: a ${p.type} is a single bit`);
    if (!bitTable && p.dataType === 'bit' && p.bit === undefined) issue('bit', `required (0..15) for a bit in a ${p.type} register`);
    if (p.dataType !== 'bit' && p.bit !== undefined) issue('bit', `only allowed with dataType bit (got ${p.dataType})`);
    if (p.dataType === 'bit') {
      if (p.byteOrder !== 'big') issue('byteOrder', 'not applicable to bit points (bit numbers index the register as transmitted)');
      if (p.wordOrder !== 'big') issue('wordOrder', 'not applicable to bit points');
      if (p.scale !== 1) issue('scale', 'not applicable to bit points (must be 1)');
      if (p.offset !== 0) issue('offset', 'not applicable to bit points (must be 0)');
    } else if (registerWidth(p.dataType) === 1 && p.wordOrder !== 'big') {
      issue('wordOrder', `not applicable to ${p.dataType} (one register)`);
    }
    const width = registerWidth(p.dataType);
    if (p.address + width > 65536) issue('address', `${p.dataType} at ${p.address} runs past register 65535`);
    if (p.writable) {
      if (p.type === 'input' || p.type === 'discrete') issue('writable', `not allowed: ${p.type === 'input' ? 'input registers' : 'discrete inputs'} are read-only (spec §4.3)`);
      if (p.writable.min > p.writable.max) issue('writable', `min ${p.writable.min} > max ${p.writable.max}`);
      if (p.dataType === 'bit') {
        for (const k of ['min', 'max'] as const) {
          if (p.writable[k] !== 0 && p.writable[k] !== 1) issue(`writable.${k}`, 'must be 0 or 1 for a bit point');
        }
      } else if (p.writable.min <= p.writable.max) {
        for (const k of ['min', 'max'] as const) {
          const raw = (p.writable[k] - p.offset) / p.scale;
          const why = rawOutOfRange(p.dataType, raw);
          if (why) issue(`writable.${k}`, `${p.writable[k]} is not representable as ${p.dataType} with scale ${p.scale} and offset ${p.offset} (${why})`);
        }
      }
    }
  });

/** Why a raw value cannot be stored in `dataType` (undefined when it can). Integers are rounded to nearest first. */
export function rawOutOfRange(dataType: Exclude<DataType, 'bit'>, raw: number): string | undefined {
  if (!Number.isFinite(raw)) return 'not finite';
  if (dataType === 'float64') return undefined;
  if (dataType === 'float32') return Math.abs(raw) > FLOAT32_MAX ? 'beyond float32 range' : undefined;
  const [lo, hi] = RAW_RANGES[dataType];
  const r = Math.round(raw);
  return r < lo || r > hi ? `raw ${r} outside ${lo}..${hi}` : undefined;
}

/** The span of registers (or bits) a point occupies: [start, end) in its table. */
export function pointSpan(p: RegisterPoint): { readonly start: number; readonly end: number } {
  return { start: p.address, end: p.address + (isBitTable(p.type) ? 1 : registerWidth(p.dataType)) };
}

function describeOverlap(a: RegisterPoint, b: RegisterPoint): string | undefined {
  const sa = pointSpan(a);
  const sb = pointSpan(b);
  if (sa.start >= sb.end || sb.start >= sa.end) return undefined;
  const aBit = a.dataType === 'bit' && a.bit !== undefined;
  const bBit = b.dataType === 'bit' && b.bit !== undefined;
  if (aBit && bBit) return a.bit === b.bit ? `same bit ${a.bit} of ${a.type} register ${a.address} as ${b.name}` : undefined;
  // A bit of a status word next to the whole word is meaningful; a bit inside a 32/64-bit value is not.
  if (aBit !== bBit) {
    const [bitPoint, whole] = aBit ? [a, b] : [b, a];
    return registerWidth(whole.dataType) === 1 ? undefined : `bit point ${bitPoint.name} lies inside the ${whole.dataType} ${whole.name}`;
  }
  return `overlaps ${b.name} (${b.type} ${sb.start}..${sb.end - 1})`;
}

/** zod schema of a {@link DeviceMap}: every point valid, names unique, no overlaps that make no sense. */
export const registerMapSchema = z
  .object({
    points: z.array(registerPointSchema, { error: 'must be an array of points' }).min(1, 'must list at least one point'),
    pollIntervalMs: z
      .number({ error: 'must be an integer 10..86400000 (ms)' })
      .int('must be an integer 10..86400000 (ms)')
      .min(10, 'must be an integer 10..86400000 (ms)')
      .max(86_400_000, 'must be an integer 10..86400000 (ms)')
      .optional(),
  })
  .strict()
  .superRefine((map, ctx) => {
    const seen = new Map<string, number>();
    map.points.forEach((p, i) => {
      const first = seen.get(p.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['points', i, 'name'], message: `duplicate name ${p.name} (also points[${first}])` });
      else seen.set(p.name, i);
    });
    // Overlaps per table: sort by address, compare each point with those that can still overlap.
    const order = map.points.map((p, i) => ({ p, i })).sort((x, y) => (x.p.type < y.p.type ? -1 : x.p.type > y.p.type ? 1 : x.p.address - y.p.address));
    for (let k = 0; k < order.length; k++) {
      const a = order[k]!;
      for (let m = k + 1; m < order.length; m++) {
        const b = order[m]!;
        if (b.p.type !== a.p.type || b.p.address >= pointSpan(a.p).end) break;
        const [later, earlier] = a.i < b.i ? [b, a] : [a, b];
        const why = describeOverlap(later.p, earlier.p);
        if (why) ctx.addIssue({ code: 'custom', path: ['points', later.i, 'address'], message: `${why} (points[${earlier.i}])` });
      }
    }
  });

/** Formats a zod path as `points[3].address`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(root)' : out;
}

/** Turns zod issues into `path: message` strings (used by the client's option check too). */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((i) => `${formatPath([...prefix, ...i.path])}: ${i.message}`);
}

/**
 * Validates a register map (from JSON/YAML configuration) once, at the edge.
 *
 * @param input - anything; typically parsed JSON.
 * @returns the map with defaults filled in (byteOrder/wordOrder `big`, scale 1, offset 0), frozen.
 * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID`, listing every problem as
 *   `points[3].address: must be 0..65535`.
 */
export function parseRegisterMap(input: unknown): DeviceMap {
  const result = registerMapSchema.safeParse(input);
  if (!result.success) throw new ModbusConfigError(formatIssues(result.error));
  const points = result.data.points.map((p) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = k === 'writable' ? Object.freeze({ ...(v as object) }) : v;
    return Object.freeze(out) as unknown as RegisterPoint;
  });
  return Object.freeze({ points: Object.freeze(points), ...(result.data.pollIntervalMs === undefined ? {} : { pollIntervalMs: result.data.pollIntervalMs }) });
}
