/**
 * Decode a CAN frame's data bytes to named physical signal values and encode values back, from a
 * parsed DBC ({@link parseDbc}). Pure: no I/O.
 *
 * Bit layout (Vector DBC format; cantools reads it the same way):
 * - Intel (`@1`): the frame as a little-endian integer; the signal is `length` bits from bit `start`.
 * - Motorola (`@0`): the frame as a big-endian integer; the signal's most significant bit is at
 *   position `8·⌊start/8⌋ + 7 − start % 8` counted from the first bit sent.
 * - signed: two's complement over `length` bits; float32/float64: the raw bits are an IEEE 754 value.
 * - physical = raw × factor + offset; encoding inverts it and rounds half to even (Python `round`, as
 *   cantools does) for integer signals.
 */
import { CanError } from '../errors.js';
import type { Dbc, DbcMessage, DbcSignal } from './dbc.js';
import { motorolaMsbIndex } from './dbc.js';
import type { CanFrame } from './frame.js';
import { formatCanId } from './frame.js';

/** A decoded frame: the message and its present signals' physical values. */
export interface DecodedMessage {
  readonly message: DbcMessage;
  /** Physical value per present signal name (multiplexed signals only for the selected branch). */
  readonly values: Readonly<Record<string, number>>;
  /** Value-table label (`VAL_`) per signal whose raw value has one. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Options of {@link encodeMessage}. */
export interface EncodeOptions {
  /** Check values against the DBC minimum/maximum (default `true`); the raw bit width is always checked. */
  readonly checkRange?: boolean;
}

const FLOAT_VIEW = new DataView(new ArrayBuffer(8));

function bytesToBigIntLE(data: Uint8Array, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i] ?? 0);
  return v;
}
function bytesToBigIntBE(data: Uint8Array, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(data[i] ?? 0);
  return v;
}

/** The unsigned raw bits of a signal in `data` (which holds `lengthBytes` bytes). */
export function extractRaw(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>, data: Uint8Array, lengthBytes = data.length): bigint {
  const mask = (1n << BigInt(signal.length)) - 1n;
  if (signal.byteOrder === 'little_endian') return (bytesToBigIntLE(data, lengthBytes) >> BigInt(signal.startBit)) & mask;
  const shift = lengthBytes * 8 - motorolaMsbIndex(signal.startBit) - signal.length;
  return (bytesToBigIntBE(data, lengthBytes) >> BigInt(shift)) & mask;
}

/**
 * Fast path of {@link extractRaw} + {@link rawToNumber} for integer signals of at most 40 bits: the
 * bytes the signal spans (≤ 6, ≤ 48 bits) fit a double exactly, so no BigInt is needed.
 */
function extractIntegerFast(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder' | 'signed'>, data: Uint8Array): number {
  const len = signal.length;
  let v = 0;
  let shift: number;
  if (signal.byteOrder === 'little_endian') {
    const first = signal.startBit >> 3;
    const last = (signal.startBit + len - 1) >> 3;
    for (let i = last; i >= first; i--) v = v * 256 + (data[i] ?? 0);
    shift = signal.startBit & 7;
  } else {
    const msb = motorolaMsbIndex(signal.startBit);
    const first = msb >> 3;
    const last = (msb + len - 1) >> 3;
    for (let i = first; i <= last; i++) v = v * 256 + (data[i] ?? 0);
    shift = 8 * (last + 1) - (msb + len);
  }
  const span = 2 ** len;
  let raw = Math.floor(v / 2 ** shift) % span;
  if (signal.signed && raw >= span / 2) raw -= span;
  return raw;
}

/** ORs the unsigned raw bits of a signal into `data` (`lengthBytes` bytes); bits outside the signal are kept. */
export function insertRaw(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>, data: Uint8Array, raw: bigint, lengthBytes = data.length): void {
  const mask = (1n << BigInt(signal.length)) - 1n;
  const bits = raw & mask;
  if (signal.byteOrder === 'little_endian') {
    const shift = BigInt(signal.startBit);
    let v = (bytesToBigIntLE(data, lengthBytes) & ~(mask << shift)) | (bits << shift);
    for (let i = 0; i < lengthBytes; i++) {
      data[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return;
  }
  const shift = BigInt(lengthBytes * 8 - motorolaMsbIndex(signal.startBit) - signal.length);
  let v = (bytesToBigIntBE(data, lengthBytes) & ~(mask << shift)) | (bits << shift);
  for (let i = lengthBytes - 1; i >= 0; i--) {
    data[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** The raw value of a signal as a number: signed/unsigned integer or the IEEE float the bits hold. */
export function rawToNumber(signal: Pick<DbcSignal, 'length' | 'signed' | 'valueType'>, bits: bigint): number {
  if (signal.valueType === 'float32') {
    FLOAT_VIEW.setUint32(0, Number(bits));
    return FLOAT_VIEW.getFloat32(0);
  }
  if (signal.valueType === 'float64') {
    FLOAT_VIEW.setBigUint64(0, bits);
    return FLOAT_VIEW.getFloat64(0);
  }
  if (signal.signed && (bits >> BigInt(signal.length - 1)) & 1n) return Number(bits - (1n << BigInt(signal.length)));
  return Number(bits);
}

/** Round half to even, as Python's `round()` (cantools' encoder) does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Signals of `message` present in a frame whose multiplexer raw values are `muxRaw` (already decoded). */
function isPresent(signal: DbcSignal, muxRaw: ReadonlyMap<string, number>): boolean | undefined {
  if (signal.multiplexerSignal === undefined) return true;
  const v = muxRaw.get(signal.multiplexerSignal);
  if (v === undefined) return undefined;
  return (signal.multiplexerRanges ?? []).some(([lo, hi]) => v >= lo && v <= hi);
}

/** Walks the multiplexer tree: calls `visit` for every present signal, multiplexers before their dependants. */
function walkPresent(message: DbcMessage, rawOf: (s: DbcSignal) => number | undefined, visit: (s: DbcSignal) => void): void {
  const muxRaw = new Map<string, number>();
  const pending = new Set(message.signals);
  let progress = true;
  while (progress && pending.size > 0) {
    progress = false;
    for (const s of pending) {
      const present = isPresent(s, muxRaw);
      if (present === undefined) continue;
      pending.delete(s);
      progress = true;
      if (!present) continue;
      visit(s);
      if (s.isMultiplexer) {
        const raw = rawOf(s);
        if (raw !== undefined) muxRaw.set(s.name, raw);
      }
    }
  }
}

/**
 * Decodes the data bytes of one message.
 *
 * @param message - from {@link parseDbc}.
 * @param data - exactly `message.length` bytes.
 * @returns physical values of every present signal (multiplexed signals only when their multiplexer selects them), and value-table labels.
 * @throws {CanError} `BB_CAN_FRAME_LENGTH` when `data.length !== message.length`.
 */
export function decodeMessage(message: DbcMessage, data: Uint8Array): DecodedMessage {
  if (data.length !== message.length) {
    throw new CanError('BB_CAN_FRAME_LENGTH', `message ${message.name} (${formatCanId(message.id, message.extended)}) has ${message.length} data bytes in the DBC; the frame has ${data.length}`, { context: { message: message.name, id: message.id, expected: message.length, actual: data.length } });
  }
  const values: Record<string, number> = {};
  const labels: Record<string, string> = {};
  const raws = new Map<DbcSignal, number>();
  walkPresent(message, (s) => raws.get(s), (s) => {
    const raw = s.valueType === 'integer' && s.length <= 40 ? extractIntegerFast(s, data) : rawToNumber(s, extractRaw(s, data, message.length));
    raws.set(s, raw);
    values[s.name] = raw * s.factor + s.offset;
    const label = s.choices?.get(raw);
    if (label !== undefined) labels[s.name] = label;
  });
  return { message, values, labels };
}

/**
 * Decodes a frame with a database: finds the message by id and id kind, then {@link decodeMessage}.
 * @throws {CanError} `BB_CAN_UNKNOWN_MESSAGE` when the DBC has no such message; `BB_CAN_FRAME_LENGTH`.
 */
export function decodeFrame(dbc: Dbc, frame: CanFrame): DecodedMessage {
  const message = dbc.messageById(frame.id, frame.extended);
  if (message === undefined) throw new CanError('BB_CAN_UNKNOWN_MESSAGE', `no DBC message has frame id ${formatCanId(frame.id, frame.extended)}`, { context: { id: frame.id, extended: frame.extended } });
  return decodeMessage(message, frame.data);
}

function physicalToRaw(message: DbcMessage, s: DbcSignal, value: number, checkRange: boolean): bigint {
  const ctx = { message: message.name, signal: s.name, value };
  if (!Number.isFinite(value) && s.valueType === 'integer') throw new CanError('BB_CAN_VALUE_OUT_OF_RANGE', `${message.name}.${s.name}: ${value} is not a finite number`, { context: ctx });
  if (checkRange && s.minimum !== undefined && s.maximum !== undefined && (value < s.minimum || value > s.maximum)) {
    throw new CanError('BB_CAN_VALUE_OUT_OF_RANGE', `${message.name}.${s.name}: ${value}${s.unit === '' ? '' : ` ${s.unit}`} is outside [${s.minimum}, ${s.maximum}]`, { context: { ...ctx, minimum: s.minimum, maximum: s.maximum } });
  }
  const scaled = (value - s.offset) / s.factor;
  if (s.valueType === 'float32') {
    FLOAT_VIEW.setFloat32(0, scaled);
    return BigInt(FLOAT_VIEW.getUint32(0));
  }
  if (s.valueType === 'float64') {
    FLOAT_VIEW.setFloat64(0, scaled);
    return FLOAT_VIEW.getBigUint64(0);
  }
  const rounded = roundHalfEven(scaled);
  if (!Number.isFinite(rounded)) throw new CanError('BB_CAN_VALUE_OUT_OF_RANGE', `${message.name}.${s.name}: ${value} scales to a non-finite raw value`, { context: ctx });
  const raw = BigInt(rounded);
  const len = BigInt(s.length);
  const lo = s.signed ? -(1n << (len - 1n)) : 0n;
  const hi = s.signed ? (1n << (len - 1n)) - 1n : (1n << len) - 1n;
  if (raw < lo || raw > hi) {
    throw new CanError('BB_CAN_VALUE_OUT_OF_RANGE', `${message.name}.${s.name}: ${value} is raw ${raw}, which does not fit ${s.length} ${s.signed ? 'signed' : 'unsigned'} bits (${lo}..${hi})`, { context: { ...ctx, raw: Number(raw) } });
  }
  return raw < 0n ? raw + (1n << len) : raw;
}

/**
 * Encodes physical values into a message's data bytes.
 *
 * @param message - from {@link parseDbc}.
 * @param values - physical value per signal name; every signal present for the given multiplexer
 *   values must be there (others are ignored).
 * @param options - {@link EncodeOptions}.
 * @returns `message.length` bytes; bits no signal covers are 0.
 * @throws {CanError} `BB_CAN_SIGNAL_MISSING` when a needed value is absent; `BB_CAN_VALUE_OUT_OF_RANGE`
 *   when a value is outside the DBC minimum/maximum or its raw value does not fit the signal bits.
 */
export function encodeMessage(message: DbcMessage, values: Readonly<Record<string, number>>, options: EncodeOptions = {}): Uint8Array {
  const checkRange = options.checkRange ?? true;
  const data = new Uint8Array(message.length);
  const raws = new Map<DbcSignal, number>();
  walkPresent(message, (s) => raws.get(s), (s) => {
    const value = values[s.name];
    if (value === undefined) throw new CanError('BB_CAN_SIGNAL_MISSING', `${message.name}: no value for signal ${s.name}`, { context: { message: message.name, signal: s.name } });
    const raw = physicalToRaw(message, s, value, checkRange);
    insertRaw(s, data, raw, message.length);
    raws.set(s, rawToNumber(s, raw));
  });
  return data;
}

/**
 * Encodes a frame: finds the message by name (or id), then {@link encodeMessage}.
 * @param dbc - the database.
 * @param message - a message name, or a parsed message.
 * @param values - physical values per signal name.
 * @throws {CanError} `BB_CAN_UNKNOWN_MESSAGE`, `BB_CAN_SIGNAL_MISSING`, `BB_CAN_VALUE_OUT_OF_RANGE`.
 */
export function encodeFrame(dbc: Dbc, message: string | DbcMessage, values: Readonly<Record<string, number>>, options: EncodeOptions = {}): CanFrame {
  const m = typeof message === 'string' ? dbc.messageByName(message) : message;
  if (m === undefined) throw new CanError('BB_CAN_UNKNOWN_MESSAGE', `no DBC message is named ${JSON.stringify(message)}`, { context: { message: String(message) } });
  return { id: m.id, extended: m.extended, data: encodeMessage(m, values, options) };
}
