/**
 * Values: decode read blocks into engineering values, encode engineering values into writes.
 *
 * Register layout of multi-register values (device conventions; the spec fixes only that each
 * register is sent high byte first, Modbus Application Protocol Specification V1.1b3 §4.2). For a
 * 32-bit value with bytes A B C D (A most significant), at registers r and r+1:
 *
 *   byteOrder  wordOrder   reg r   reg r+1   name
 *   big        big         A B     C D       "ABCD", big-endian
 *   big        little      C D     A B       "CDAB", word-swapped
 *   little     big         B A     D C       "BADC", byte-swapped
 *   little     little      D C     B A       "DCBA", little-endian
 *
 * 64-bit values (A..H) extend the same rule to four registers (word little = GH EF CD AB).
 * Engineering value = raw × scale + offset; raw = (value − offset) / scale on writes, rounded to the
 * nearest integer for integer types.
 *
 * Write function codes (spec §6.5, §6.6, §6.12): coil → FC 05 (ON = 0xFF00, OFF = 0x0000);
 * one holding register → FC 06; several → FC 16 (quantity 1..123, §6.12).
 */
import { ModbusResponseError, ModbusWriteRefusedError } from '../errors.js';
import { isBitTable, rawOutOfRange, registerWidth } from './register-map.js';
import type { DataType, RegisterPoint } from './register-map.js';
import type { ReadBlock } from './read-plan.js';

/** A decoded value: a number in engineering units, or a boolean for bit points. */
export type PointValue = number | boolean;

/** Decoded values by point name. */
export type PointValues = Record<string, PointValue>;

function toBytes(words: readonly number[], point: RegisterPoint): Uint8Array {
  const width = words.length;
  const bytes = new Uint8Array(width * 2);
  const wordLittle = point.wordOrder === 'little';
  const byteLittle = point.byteOrder === 'little';
  for (let i = 0; i < width; i++) {
    const word = words[wordLittle ? width - 1 - i : i]!;
    const hi = (word >>> 8) & 0xff;
    const lo = word & 0xff;
    bytes[2 * i] = byteLittle ? lo : hi;
    bytes[2 * i + 1] = byteLittle ? hi : lo;
  }
  return bytes;
}

function fromBytes(bytes: Uint8Array, point: RegisterPoint): number[] {
  const width = bytes.length / 2;
  const words = new Array<number>(width);
  const wordLittle = point.wordOrder === 'little';
  const byteLittle = point.byteOrder === 'little';
  for (let i = 0; i < width; i++) {
    const b0 = bytes[2 * i]!;
    const b1 = bytes[2 * i + 1]!;
    words[wordLittle ? width - 1 - i : i] = byteLittle ? (b1 << 8) | b0 : (b0 << 8) | b1;
  }
  return words;
}

/**
 * Raw value (before scale/offset) of a numeric point from its registers.
 *
 * @param point - a numeric point (not `bit`).
 * @param words - exactly `registerWidth(point.dataType)` register values, 0..65535, in address order.
 */
export function decodeRaw(point: RegisterPoint, words: readonly number[]): number {
  const view = new DataView(toBytes(words, point).buffer);
  switch (point.dataType) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
    default:
      throw new TypeError(`decodeRaw: ${point.name} is a bit point`);
  }
}

/**
 * Registers holding a raw value (no range check beyond what the data type wraps; callers check with
 * `rawOutOfRange`). Integer types take `Math.round(raw)`.
 *
 * @returns `registerWidth(point.dataType)` register values in address order.
 */
export function encodeRaw(point: RegisterPoint, raw: number): number[] {
  const dataType = point.dataType as Exclude<DataType, 'bit'>;
  const bytes = new Uint8Array(registerWidth(dataType) * 2);
  const view = new DataView(bytes.buffer);
  const r = Math.round(raw);
  switch (dataType) {
    case 'int16':
      view.setInt16(0, r);
      break;
    case 'uint16':
      view.setUint16(0, r);
      break;
    case 'int32':
      view.setInt32(0, r);
      break;
    case 'uint32':
      view.setUint32(0, r);
      break;
    case 'float32':
      view.setFloat32(0, raw);
      break;
    case 'float64':
      view.setFloat64(0, raw);
      break;
  }
  return fromBytes(bytes, point);
}

/** Engineering value of a raw value: raw × scale + offset (exact when scale 1 and offset 0). */
export function toEngineering(point: RegisterPoint, raw: number): number {
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  if (scale === 1 && offset === 0) return raw;
  // A decimal scale such as 0.1 is not exact in binary: 252 × 0.1 = 25.200000000000003, 252 / 10 = 25.2.
  const inverse = 1 / scale;
  const scaled = Math.abs(scale) < 1 && Number.isInteger(Math.round(inverse)) && Math.abs(inverse - Math.round(inverse)) < 1e-9 ? raw / Math.round(inverse) : raw * scale;
  return scaled + offset;
}

/**
 * Decodes one block read with {@link ReadBlock.functionCode}.
 *
 * @param block - from `planReads`.
 * @param data - register values (FC 03/04: `block.count` integers 0..65535) or bits (FC 01/02:
 *   at least `block.count` booleans; bits past `count` are the padding of the last byte, §6.1, and
 *   are ignored).
 * @returns engineering values by point name (booleans for bit points).
 * @throws {ModbusResponseError} `BB_MODBUS_RESPONSE_INVALID` when `data` is too short or holds a
 *   value of the wrong kind; nothing is returned then.
 */
export function decodeBlock(block: ReadBlock, data: readonly number[] | readonly boolean[]): PointValues {
  const ctx = { type: block.type, start: block.start, count: block.count, received: data.length };
  const bitTable = isBitTable(block.type);
  if (bitTable ? data.length < block.count : data.length !== block.count) {
    throw new ModbusResponseError(`${block.type} block at ${block.start}: expected ${block.count} ${bitTable ? 'bits' : 'registers'}, got ${data.length}`, ctx);
  }
  for (let i = 0; i < block.count; i++) {
    const v = data[i];
    const ok = bitTable ? typeof v === 'boolean' : typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;
    if (!ok) throw new ModbusResponseError(`${block.type} block at ${block.start}: item ${i} is ${String(v)}, expected ${bitTable ? 'a boolean' : 'an integer 0..65535'}`, { ...ctx, index: i });
  }
  const out: PointValues = {};
  for (const point of block.points) {
    const at = point.address - block.start;
    if (bitTable) {
      out[point.name] = data[at] as boolean;
    } else if (point.dataType === 'bit') {
      out[point.name] = (((data[at] as number) >>> (point.bit ?? 0)) & 1) === 1;
    } else {
      const words = (data as readonly number[]).slice(at, at + registerWidth(point.dataType));
      out[point.name] = toEngineering(point, decodeRaw(point, words));
    }
  }
  return out;
}

/**
 * A validated write, ready for the wire.
 * - coil: `bit` (FC 05);
 * - holding register(s): `words` (FC 06 for one, FC 16 for more);
 * - bit inside a holding register: `bit` + `bitIndex` and `readModifyWrite: true`: the client reads
 *   the register (FC 03), applies {@link applyBitToRegister} and writes it back (FC 06). That is not
 *   atomic against other masters; RTU lines have one master, TCP devices may have several.
 */
export interface EncodedWrite {
  /** Table written. */
  readonly type: 'holding' | 'coil';
  /** 0-based PDU address. */
  readonly address: number;
  /** Write function code: 5 (coil), 6 (one register, also used for read-modify-write) or 16. */
  readonly functionCode: 5 | 6 | 16;
  /** Register values to write, in address order (holding, not bit). */
  readonly words?: readonly number[];
  /** Bit value (coil, or bit in a holding register). */
  readonly bit?: boolean;
  /** Bit number 0..15 for a bit in a holding register. */
  readonly bitIndex?: number;
  /** True for a bit in a holding register: the client must read, modify and write the register. */
  readonly readModifyWrite?: boolean;
  /** The raw value sent (after inverse scaling and rounding); 0/1 for bits. */
  readonly raw: number;
  /** The engineering value the device will hold (after rounding). */
  readonly value: number | boolean;
}

/**
 * Validates and encodes a write of `value` (engineering units) to `point`. Refusals are raised here,
 * before any byte is sent.
 *
 * @param point - a holding register or coil point with a `writable` range.
 * @param value - a finite number in engineering units; for bit points a boolean, or 0/1.
 * @throws {ModbusWriteRefusedError} `BB_MODBUS_NOT_WRITABLE` (no `writable`, read-only table, wrong
 *   value type) or `BB_MODBUS_WRITE_OUT_OF_RANGE` (outside `writable`, or not representable after
 *   scaling and rounding).
 */
export function encodeWrite(point: RegisterPoint, value: number | boolean): EncodedWrite {
  const ctxBase = { point: point.name, value: typeof value === 'boolean' ? String(value) : value };
  if (point.type !== 'holding' && point.type !== 'coil') {
    throw new ModbusWriteRefusedError('BB_MODBUS_NOT_WRITABLE', `${point.name} is an ${point.type === 'input' ? 'input register' : 'discrete input'}: read-only`, ctxBase);
  }
  const range = point.writable;
  if (!range) throw new ModbusWriteRefusedError('BB_MODBUS_NOT_WRITABLE', `${point.name} is read-only (no writable range configured)`, ctxBase);
  const ctx = { ...ctxBase, min: range.min, max: range.max };

  if (point.dataType === 'bit') {
    let bitValue: boolean;
    if (typeof value === 'boolean') bitValue = value;
    else if (value === 0 || value === 1) bitValue = value === 1;
    else throw new ModbusWriteRefusedError('BB_MODBUS_NOT_WRITABLE', `${point.name} is a bit: value must be a boolean or 0/1 (got ${value})`, ctx);
    const raw = bitValue ? 1 : 0;
    if (raw < range.min || raw > range.max) {
      throw new ModbusWriteRefusedError('BB_MODBUS_WRITE_OUT_OF_RANGE', `${point.name}: ${bitValue ? 'on' : 'off'} (${raw}) outside writable ${range.min}..${range.max}`, ctx);
    }
    if (point.type === 'coil') return Object.freeze({ type: 'coil', address: point.address, functionCode: 5, bit: bitValue, raw, value: bitValue });
    return Object.freeze({ type: 'holding', address: point.address, functionCode: 6, bit: bitValue, bitIndex: point.bit ?? 0, readModifyWrite: true, raw, value: bitValue });
  }

  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModbusWriteRefusedError('BB_MODBUS_NOT_WRITABLE', `${point.name}: value must be a finite number (got ${String(value)})`, ctx);
  }
  if (value < range.min || value > range.max) {
    throw new ModbusWriteRefusedError('BB_MODBUS_WRITE_OUT_OF_RANGE', `${point.name}: ${value} outside writable ${range.min}..${range.max}${point.unit ? ` ${point.unit}` : ''}`, ctx);
  }
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  const exactRaw = (value - offset) / scale;
  const why = rawOutOfRange(point.dataType, exactRaw);
  if (why) throw new ModbusWriteRefusedError('BB_MODBUS_WRITE_OUT_OF_RANGE', `${point.name}: ${value} not representable as ${point.dataType} (${why})`, ctx);
  const words = encodeRaw(point, exactRaw);
  const raw = decodeRaw(point, words);
  const stored = toEngineering(point, raw);
  // Integer rounding can step outside the range; float rounding (1 ulp) is not a range question.
  const isFloat = point.dataType === 'float32' || point.dataType === 'float64';
  if (!isFloat && (stored < range.min || stored > range.max)) {
    throw new ModbusWriteRefusedError('BB_MODBUS_WRITE_OUT_OF_RANGE', `${point.name}: ${value} would be stored as ${stored}, outside writable ${range.min}..${range.max}`, { ...ctx, stored });
  }
  return Object.freeze({ type: 'holding', address: point.address, functionCode: words.length === 1 ? 6 : 16, words: Object.freeze(words), raw, value: stored });
}

/**
 * Sets or clears bit `bitIndex` (0 = least significant) of a register value: the "modify" of a
 * read-modify-write.
 *
 * @param word - the register as read, 0..65535.
 * @returns the new register value, 0..65535.
 */
export function applyBitToRegister(word: number, bitIndex: number, on: boolean): number {
  const mask = 1 << bitIndex;
  return (on ? word | mask : word & ~mask) & 0xffff;
}
