/**
 * Fixed-width field helpers shared by the message codecs (Arbin CTI reference README §3.1, §3.5, §3.6).
 *
 *   char[n]    = n single bytes, NUL-padded; we write ≤ n−1 latin1 characters, read up to the first NUL
 *   wchar_t[n] = 2n bytes of UTF-16LE, NUL-padded; we write ≤ n−1 code units (never splitting a
 *                surrogate pair), read up to the first NUL code unit and drop a leading BOM (U+FEFF)
 *                that pycti's 'utf-16' codec inserts (README §3.5)
 */
import type { Buffer } from 'node:buffer';
import { ArbinCtiError } from '../errors.js';

/**
 * Writes `text` into the single-byte field `[offset, offset+size)` (latin1), NUL-padded.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when `text` has a character above U+00FF or more
 *   than `size − 1` characters (a terminating NUL is always kept, README §3.5). The value is not echoed
 *   when `secret` is true.
 */
export function writeByteString(buf: Buffer, offset: number, size: number, text: string, field: string, secret = false): void {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field}: character ${i} is not single-byte (latin1)`, { context: { field, index: i } });
    }
  }
  if (text.length > size - 1) {
    const shown = secret ? '' : ` ${JSON.stringify(text)}`;
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field}${shown} has ${text.length} characters; the ${size}-byte field holds at most ${size - 1}`, {
      context: { field, length: text.length, max: size - 1 },
    });
  }
  buf.fill(0, offset, offset + size);
  buf.write(text, offset, 'latin1');
}

/** Reads a NUL-terminated single-byte (latin1) field `[offset, offset+size)`. */
export function readByteString(buf: Buffer, offset: number, size: number): string {
  let end = offset;
  while (end < offset + size && buf[end] !== 0) end++;
  return buf.toString('latin1', offset, end);
}

/**
 * Writes `text` into the UTF-16LE field of `units` code units (`2·units` bytes) at `offset`, NUL-padded.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when `text` has more than `units − 1` code units
 *   or a lone surrogate (which ArbinSpoofer cannot decode, README §9).
 */
export function writeWideString(buf: Buffer, offset: number, units: number, text: string, field: string): void {
  if (text.length > units - 1) {
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field} ${JSON.stringify(text.slice(0, 40))}… has ${text.length} UTF-16 code units; the field holds at most ${units - 1}`, {
      context: { field, length: text.length, max: units - 1 },
    });
  }
  if (hasLoneSurrogate(text)) {
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field} holds a lone UTF-16 surrogate`, { context: { field } });
  }
  buf.fill(0, offset, offset + 2 * units);
  buf.write(text, offset, 'utf16le');
}

/** Reads a UTF-16LE field of `units` code units, cut at the first NUL, leading BOM dropped. */
export function readWideString(buf: Buffer, offset: number, units: number): string {
  let end = offset;
  const limit = offset + 2 * units;
  while (end + 1 < limit && (buf[end] !== 0 || buf[end + 1] !== 0)) end += 2;
  const text = buf.toString('utf16le', offset, end);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Checks a 0-based wire channel index for a field of the given width.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when not an integer in `[min, max]`.
 */
export function checkIndex(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field} ${value} is not an integer in [${min}, ${max}]`, { context: { field, value, min, max } });
  }
  return value;
}

/**
 * Checks a float32 argument is finite.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` on NaN or ±Infinity, or a value beyond float32 range.
 */
export function checkFloat32(value: number, field: string): number {
  if (!Number.isFinite(value) || Math.abs(value) > 3.4028234663852886e38) {
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `${field} ${value} is not a finite float32`, { context: { field, value: String(value) } });
  }
  return value;
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = text.charCodeAt(i + 1);
      if (!(n >= 0xdc00 && n <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}
