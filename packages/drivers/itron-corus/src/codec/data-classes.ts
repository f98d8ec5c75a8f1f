/**
 * Corus data classes: decode to exact values, encode for writes (itron-corus README §8).
 *
 * ```
 * class        bytes  wire (little-endian)                      value
 * Byte         1      uint8                                     n            (0..254)
 * Word         2      uint16                                    n            (0..65534)
 * EWord        3      uint24                                    n
 * ULong        4      uint32                                    n
 * EULong       5      uint40                                    n
 * Float        4      IEEE-754 binary32                         exact value rounded half-even to 6 decimals
 * Float1       2      int16                                     n / 100      (−0.01 = all-FF = no value)
 * Float2       2      m = bits 0–14, e = bit 15                 m × 10^(e−3)
 * Float3       2      m = bits 0–13, e = bits 14–15             m × 10^(e−1)  (offset −1 default, −2 per map: §8.3.9 [U])
 * Index        8      uint32 I, uint32 F                        I + F / 10^8
 * Index9       9      uint40 I, uint32 F                        I + F / 10^8
 * Date         4      uint32 bit fields s6 m6 h5 d5 M4 (y−2000)6 naive date-time 2000..2063
 * CorusString  8      latin-1, NUL padded                       text (trailing NULs stripped)
 * Null2/Null4  2/4    filler                                    always no value
 * all bytes 0xFF = no value (null), every class (§8.1)
 * ```
 */
import { CorusError } from '../errors.js';
import { ExactDecimal, roundHalfEven } from './exact-decimal.js';

/** Names of the Corus data classes (README §8.2). */
export const CORUS_CLASSES = ['Byte', 'Word', 'EWord', 'ULong', 'EULong', 'Float', 'Float1', 'Float2', 'Float3', 'Index', 'Index9', 'Date', 'CorusString', 'Null2', 'Null4'] as const;

/** One Corus data class name. */
export type CorusClass = (typeof CORUS_CLASSES)[number];

/** Byte length of each class (README §8.2). */
export const CLASS_LENGTH: Readonly<Record<CorusClass, number>> = {
  Byte: 1, Word: 2, EWord: 3, ULong: 4, EULong: 5, Float: 4, Float1: 2, Float2: 2, Float3: 2, Index: 8, Index9: 9, Date: 4, CorusString: 8, Null2: 2, Null4: 4,
};

/**
 * A naive (zone-less) date-time as the device keeps it (README §8.3.12): fields, not an instant.
 * Convert with the device's configured time zone ({@link corusDateTimeToDate}).
 */
export interface CorusDateTime {
  /** 2000..2063. */
  readonly year: number;
  /** 1..12. */
  readonly month: number;
  /** 1..31. */
  readonly day: number;
  /** 0..23. */
  readonly hour: number;
  /** 0..59. */
  readonly minute: number;
  /** 0..59. */
  readonly second: number;
}

/** A decoded Corus value: numbers exact, dates naive, strings latin-1 text, `null` = no value. */
export type CorusValue = ExactDecimal | CorusDateTime | string | null;

/** Per-map codec options (README §8.3.9). */
export interface ClassCodecOptions {
  /** Float3 exponent offset: value = m × 10^(e + offset). iflag 1.0.1: −1 (default); iflag 0.x: −2. */
  readonly float3ExponentOffset?: -1 | -2;
}

function isAllFf(bytes: Uint8Array, offset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== 0xff) return false;
  return true;
}

function uintLe(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] as number);
  return v;
}

function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1..12) of `year`, Gregorian. */
function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Checks the fields of a date-time against README §8.3.12's ranges (year 2000..2063).
 * @returns a message naming the bad field, or `undefined` when valid.
 */
export function checkCorusDateTime(d: CorusDateTime): string | undefined {
  if (!Number.isInteger(d.year) || d.year < 2000 || d.year > 2063) return `year ${d.year} is outside 2000..2063`;
  if (!Number.isInteger(d.month) || d.month < 1 || d.month > 12) return `month ${d.month} is outside 1..12`;
  if (!Number.isInteger(d.day) || d.day < 1 || d.day > daysIn(d.year, d.month)) return `day ${d.day} is not in ${d.year}-${d.month}`;
  if (!Number.isInteger(d.hour) || d.hour < 0 || d.hour > 23) return `hour ${d.hour} is outside 0..23`;
  if (!Number.isInteger(d.minute) || d.minute < 0 || d.minute > 59) return `minute ${d.minute} is outside 0..59`;
  if (!Number.isInteger(d.second) || d.second < 0 || d.second > 59) return `second ${d.second} is outside 0..59`;
  return undefined;
}

/** ISO-8601 text of a naive date-time without zone, e.g. `2020-10-07T22:01:47`. */
export function formatCorusDateTime(d: CorusDateTime): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.year, 4)}-${p(d.month)}-${p(d.day)}T${p(d.hour)}:${p(d.minute)}:${p(d.second)}`;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS` (no zone) into a {@link CorusDateTime}.
 * @throws {CorusError} `BB_CORUS_VALUE_TYPE` for other text; `BB_CORUS_VALUE_OUT_OF_RANGE` for impossible fields.
 */
export function parseCorusDateTime(text: string): CorusDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) throw new CorusError('BB_CORUS_VALUE_TYPE', `not a naive date-time YYYY-MM-DDTHH:MM:SS: ${JSON.stringify(text)}`);
  const d: CorusDateTime = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) };
  const bad = checkCorusDateTime(d);
  if (bad !== undefined) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `date-time ${text}: ${bad}`);
  return d;
}

/** Whether `v` is a {@link CorusDateTime} (not an ExactDecimal, string or null). */
export function isCorusDateTime(v: unknown): v is CorusDateTime {
  return typeof v === 'object' && v !== null && !(v instanceof ExactDecimal) && 'year' in v && 'second' in v;
}

/** Decodes a binary32 (as uint32 bits) exactly, rounded half-even to 6 decimals (README §8.3.6). */
function decodeFloat32(bits: number): ExactDecimal {
  const sign = bits >>> 31 ? -1n : 1n;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) {
    throw new CorusError('BB_CORUS_VALUE_INVALID', frac === 0 ? 'Float is ±Infinity' : 'Float is NaN', { context: { bits: `0x${bits.toString(16).padStart(8, '0')}` } });
  }
  // value = m × 2^e
  const m = BigInt(exp === 0 ? frac : frac | 0x800000);
  const e = (exp === 0 ? 1 : exp) - 150;
  let coefficient: bigint;
  if (e >= 0) coefficient = m * (1n << BigInt(e)) * 1_000_000n;
  else coefficient = roundHalfEven(m * 1_000_000n, 1n << BigInt(-e));
  return new ExactDecimal(sign * coefficient, 6).normalize();
}

/**
 * Decodes one value of class `cls` at `bytes[offset]` (README §8.3).
 * @returns the value, or `null` for "no value" (all bytes 0xFF, §8.1; Null2/Null4 always).
 * @throws {CorusError} `BB_CORUS_FRAME_TRUNCATED` if fewer bytes than the class length remain;
 *   `BB_CORUS_VALUE_INVALID` for a NaN/Infinity Float or an impossible Date (e.g. `00 00 00 00`).
 */
export function decodeValue(cls: CorusClass, bytes: Uint8Array, offset = 0, options: ClassCodecOptions = {}): CorusValue {
  const len = CLASS_LENGTH[cls];
  if (offset + len > bytes.length) {
    throw new CorusError('BB_CORUS_FRAME_TRUNCATED', `${cls} needs ${len} bytes at offset ${offset}, only ${bytes.length - offset} left`, { context: { offset, expected: len, actual: bytes.length - offset } });
  }
  if (cls === 'Null2' || cls === 'Null4') return null;
  if (isAllFf(bytes, offset, len)) return null;
  switch (cls) {
    case 'Byte':
    case 'Word':
    case 'EWord':
    case 'ULong':
    case 'EULong':
      return new ExactDecimal(uintLe(bytes, offset, len), 0);
    case 'Float':
      return decodeFloat32(Number(uintLe(bytes, offset, 4)));
    case 'Float1': {
      const n = u16(bytes, offset);
      return new ExactDecimal(BigInt(n >= 0x8000 ? n - 0x10000 : n), 2).normalize();
    }
    case 'Float2': {
      const v = u16(bytes, offset);
      return new ExactDecimal(BigInt(v & 0x7fff), v >> 15 ? 2 : 3).normalize();
    }
    case 'Float3': {
      const v = u16(bytes, offset);
      const exponent = (v >> 14) + (options.float3ExponentOffset ?? -1);
      return new ExactDecimal(BigInt(v & 0x3fff), -exponent).normalize();
    }
    case 'Index':
      return new ExactDecimal(uintLe(bytes, offset, 4) * 100_000_000n + uintLe(bytes, offset + 4, 4), 8).normalize();
    case 'Index9':
      return new ExactDecimal(uintLe(bytes, offset, 5) * 100_000_000n + uintLe(bytes, offset + 5, 4), 8).normalize();
    case 'Date': {
      const v = Number(uintLe(bytes, offset, 4));
      const d: CorusDateTime = {
        second: v & 0x3f,
        minute: (v >>> 6) & 0x3f,
        hour: (v >>> 12) & 0x1f,
        day: (v >>> 17) & 0x1f,
        month: (v >>> 22) & 0x0f,
        year: 2000 + (v >>> 26),
      };
      const bad = checkCorusDateTime(d);
      if (bad !== undefined) throw new CorusError('BB_CORUS_VALUE_INVALID', `Date bytes give an impossible date: ${bad}`, { context: { offset } });
      return d;
    }
    case 'CorusString': {
      let end = offset + len;
      while (end > offset && bytes[end - 1] === 0) end--;
      let s = '';
      for (let i = offset; i < end; i++) s += String.fromCharCode(bytes[i] as number);
      return s;
    }
  }
}

/** A value accepted by {@link encodeValue}: numbers as ExactDecimal/decimal text/number/bigint. */
export type CorusInputValue = ExactDecimal | CorusDateTime | string | number | bigint | null;

function toDecimal(cls: CorusClass, value: CorusInputValue): ExactDecimal {
  if (value instanceof ExactDecimal) return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return ExactDecimal.from(value);
  throw new CorusError('BB_CORUS_VALUE_TYPE', `${cls} needs a number, got ${typeof value}`);
}

function outOfRange(cls: CorusClass, value: ExactDecimal, why: string): CorusError {
  return new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `${value.toString()} cannot be encoded as ${cls}: ${why}`, { context: { class: cls, value: value.toString() } });
}

function writeUintLe(out: Uint8Array, offset: number, length: number, v: bigint): void {
  for (let i = 0; i < length; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Packs a naive date-time into the 32-bit Date layout (README §8.3.12). */
function packDate(d: CorusDateTime): number {
  return (((d.year - 2000) << 26) | (d.month << 22) | (d.day << 17) | (d.hour << 12) | (d.minute << 6) | d.second) >>> 0;
}

/**
 * Encodes `value` in class `cls` for a write (README §8.3; §6). `null` gives all-0xFF ("no value").
 *
 * Stricter than iflag (README §12): integers must be integral and below the all-FF value; Float1
 * is scaled ×100 (iflag forgets it); Float2/Float3/Index pick the exponent from the value, not from
 * how it was written, and refuse what they cannot carry exactly; Index/Index9 are encodable (the
 * simulator serves them); CorusString is latin-1, truncated to 8 bytes (as iflag), NUL padded.
 * Float goes through the nearest binary32 of the decimal (README §8.3.6).
 * @throws {CorusError} `BB_CORUS_VALUE_OUT_OF_RANGE` (not representable exactly, or outside the class
 *   range), `BB_CORUS_VALUE_TYPE` (wrong kind of value for the class).
 */
export function encodeValue(cls: CorusClass, value: CorusInputValue, options: ClassCodecOptions = {}): Uint8Array {
  const len = CLASS_LENGTH[cls];
  const out = new Uint8Array(len);
  if (value === null || cls === 'Null2' || cls === 'Null4') {
    out.fill(0xff);
    return out;
  }
  switch (cls) {
    case 'Byte':
    case 'Word':
    case 'EWord':
    case 'ULong':
    case 'EULong': {
      const d = toDecimal(cls, value);
      const n = d.coefficientAt(0);
      if (n === undefined) throw outOfRange(cls, d, 'not an integer');
      const max = (1n << BigInt(8 * len)) - 2n;
      if (n < 0n || n > max) throw outOfRange(cls, d, `outside 0..${max}`);
      writeUintLe(out, 0, len, n);
      return out;
    }
    case 'Float': {
      const d = toDecimal(cls, value);
      const f = Math.fround(Number(d.toString()));
      if (!Number.isFinite(f)) throw outOfRange(cls, d, 'beyond binary32');
      new DataView(out.buffer).setFloat32(0, f, true);
      if (isAllFf(out, 0, 4)) throw outOfRange(cls, d, 'is the no-value pattern');
      return out;
    }
    case 'Float1': {
      const d = toDecimal(cls, value);
      const n = d.coefficientAt(2);
      if (n === undefined) throw outOfRange(cls, d, 'more than 2 fraction digits');
      if (n < -32768n || n > 32767n || n === -1n) throw outOfRange(cls, d, 'outside −327.68..327.67 (−0.01 is the no-value pattern)');
      const v = Number(n) & 0xffff;
      out[0] = v & 0xff;
      out[1] = v >> 8;
      return out;
    }
    case 'Float2': {
      // Exponent choice reproduces iflag's outputs in vectors.json: hundredths (bit 15 set) for a
      // value with exactly two fraction digits, else thousandths; the other one if the first
      // does not fit. Both decode to the same value (README §8.3.8).
      const d = toDecimal(cls, value);
      const preferHundredths = d.normalize().scale === 2;
      const m3 = d.coefficientAt(3);
      const m2 = d.coefficientAt(2);
      const thousandths = m3 !== undefined && m3 >= 0n && m3 <= 32767n ? Number(m3) : undefined;
      const hundredths = m2 !== undefined && m2 >= 0n && m2 <= 32766n ? Number(m2) | 0x8000 : undefined;
      const v = preferHundredths ? (hundredths ?? thousandths) : (thousandths ?? hundredths);
      if (v === undefined) throw outOfRange(cls, d, 'needs m×10^−3 or m×10^−2 with 0 ≤ m ≤ 32767');
      out[0] = v & 0xff;
      out[1] = v >> 8;
      return out;
    }
    case 'Float3': {
      const d = toDecimal(cls, value);
      // Exponent: the coarsest that still matches the value's own precision, as iflag's outputs in
      // vectors.json (123.4 → e 0, 1234 → e 1), going coarser when m would exceed 14 bits.
      const offset = options.float3ExponentOffset ?? -1;
      for (let e = Math.max(0, -offset - d.normalize().scale); e <= 3; e++) {
        const m = d.coefficientAt(-(e + offset));
        if (m !== undefined && m >= 0n && m <= 16383n && !(e === 3 && m === 16383n)) {
          const v = Number(m) | (e << 14);
          out[0] = v & 0xff;
          out[1] = v >> 8;
          return out;
        }
      }
      throw outOfRange(cls, d, 'needs m×10^(e' + offset + ') with 0 ≤ m ≤ 16383, e 0..3');
    }
    case 'Index':
    case 'Index9': {
      const d = toDecimal(cls, value);
      const c = d.coefficientAt(8);
      if (c === undefined) throw outOfRange(cls, d, 'more than 8 fraction digits');
      const ilen = cls === 'Index' ? 4 : 5;
      const i = c / 100_000_000n;
      const f = c % 100_000_000n;
      if (c < 0n || i >= 1n << BigInt(8 * ilen)) throw outOfRange(cls, d, `integer part outside 0..${(1n << BigInt(8 * ilen)) - 1n}`);
      writeUintLe(out, 0, ilen, i);
      writeUintLe(out, ilen, 4, f);
      return out;
    }
    case 'Date': {
      if (!isCorusDateTime(value)) throw new CorusError('BB_CORUS_VALUE_TYPE', `Date needs a CorusDateTime, got ${typeof value}`);
      const bad = checkCorusDateTime(value);
      if (bad !== undefined) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `cannot encode Date: ${bad}`);
      writeUintLe(out, 0, 4, BigInt(packDate(value)));
      return out;
    }
    case 'CorusString': {
      if (typeof value !== 'string') throw new CorusError('BB_CORUS_VALUE_TYPE', `CorusString needs a string, got ${typeof value}`);
      for (let i = 0; i < Math.min(8, value.length); i++) {
        const c = value.charCodeAt(i);
        if (c > 0xff) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `character ${JSON.stringify(value[i])} is not latin-1`);
        out[i] = c;
      }
      return out;
    }
  }
}
