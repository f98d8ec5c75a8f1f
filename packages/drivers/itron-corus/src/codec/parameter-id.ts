/**
 * Parameter id encoding (itron-corus README §4.6).
 *
 * ```
 * id 0..238     → 1 byte:  id
 * id 239..4095  → 2 bytes: (id | 0xF000) big-endian     e.g. 239 → F0 EF, 300 → F1 2C
 * device side:  first byte with top nibble 0xF → two-byte id ((b0 & 0x0F) << 8) | b1 [I]
 * ```
 */
import { CorusError } from '../errors.js';

/** Largest id that can be encoded (README §4.6). */
export const MAX_PARAMETER_ID = 4095;
/** First id sent as two bytes (README §4.6; [U] whether a device uses 239 or 240). */
export const FIRST_TWO_BYTE_ID = 239;

/**
 * Wire bytes of one parameter id.
 * @throws {CorusError} `BB_CORUS_ID_OUT_OF_RANGE` outside 0..4095 (iflag silently mis-encodes those, §12 item 9).
 */
export function encodeParameterId(id: number): Uint8Array {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PARAMETER_ID) {
    throw new CorusError('BB_CORUS_ID_OUT_OF_RANGE', `parameter id ${id} is outside 0..${MAX_PARAMETER_ID}`, { context: { id } });
  }
  if (id < FIRST_TWO_BYTE_ID) return Uint8Array.of(id);
  const v = id | 0xf000;
  return Uint8Array.of(v >> 8, v & 0xff);
}

/** Number of bytes {@link encodeParameterId} produces for `id`. */
export function parameterIdLength(id: number): 1 | 2 {
  return id < FIRST_TWO_BYTE_ID ? 1 : 2;
}

/**
 * Device-side decoding of one id at `offset` (README §4.6 [I]).
 * @returns the id and the number of bytes it took, or `undefined` if a two-byte id is cut off.
 */
export function decodeParameterId(bytes: Uint8Array, offset: number): { id: number; length: 1 | 2 } | undefined {
  const b0 = bytes[offset];
  if (b0 === undefined) return undefined;
  if ((b0 & 0xf0) !== 0xf0) return { id: b0, length: 1 };
  const b1 = bytes[offset + 1];
  if (b1 === undefined) return undefined;
  return { id: ((b0 & 0x0f) << 8) | b1, length: 2 };
}
