/**
 * Avro single-object encoding framing (Avro specification 1.11, "Single-object encoding"):
 *
 *   offset 0  2 bytes  marker    C3 01
 *   offset 2  8 bytes  fingerprint  CRC-64-AVRO of the writer schema's Parsing Canonical Form,
 *                                   little-endian
 *   offset 10 n bytes  body      Avro binary encoding of the datum (writer schema)
 *
 * Pure: no I/O. The body is (de)serialised by avsc in ../serde.ts.
 */
import { AvroDecodeError } from '../errors.js';

/** The 2-byte single-object marker `C3 01`. */
export const SINGLE_OBJECT_MARKER: readonly [0xc3, 0x01] = [0xc3, 0x01];

/** Length of the single-object header: marker (2) + fingerprint (8). */
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

/** The 10-byte header for a writer schema whose CRC-64-AVRO fingerprint is `fp` (unsigned 64-bit). */
export function encodeSingleObjectHeader(fp: bigint): Buffer {
  const header = Buffer.alloc(SINGLE_OBJECT_HEADER_LENGTH);
  header[0] = SINGLE_OBJECT_MARKER[0];
  header[1] = SINGLE_OBJECT_MARKER[1];
  header.writeBigUInt64LE(BigInt.asUintN(64, fp), 2);
  return header;
}

/** A parsed single-object header. */
export interface SingleObjectHeader {
  /** Writer schema fingerprint, unsigned 64-bit. */
  readonly fingerprint: bigint;
  /** Offset of the Avro body in the message (always 10). */
  readonly bodyOffset: number;
}

/**
 * Reads the header of a single-object encoded message.
 * @throws {AvroDecodeError} `BB_AVRO_TRUNCATED` when shorter than 10 bytes (checked after the
 *   marker, so a 1-byte non-marker is BAD_MAGIC); `BB_AVRO_BAD_MAGIC` when it does not start `C3 01`.
 */
export function decodeSingleObjectHeader(buf: Uint8Array): SingleObjectHeader {
  const markerBytes = Math.min(buf.length, 2);
  for (let i = 0; i < markerBytes; i++) {
    if (buf[i] !== SINGLE_OBJECT_MARKER[i]) {
      throw new AvroDecodeError('BB_AVRO_BAD_MAGIC', `not Avro single-object encoding: byte ${i} is 0x${hex2(buf[i] ?? 0)}, expected 0x${hex2(SINGLE_OBJECT_MARKER[i] ?? 0)} (marker C3 01)`, {
        context: { offset: i, expected: SINGLE_OBJECT_MARKER[i], actual: buf[i] },
      });
    }
  }
  if (buf.length < SINGLE_OBJECT_HEADER_LENGTH) {
    throw new AvroDecodeError('BB_AVRO_TRUNCATED', `message of ${buf.length} bytes is shorter than the 10-byte single-object header`, {
      context: { length: buf.length, expected: SINGLE_OBJECT_HEADER_LENGTH },
    });
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return { fingerprint: view.getBigUint64(2, true), bodyOffset: SINGLE_OBJECT_HEADER_LENGTH };
}

/** A fingerprint as 16 lowercase hex digits, most significant first (`c15d213aa4d7a795`). */
export function fingerprintHex(fp: bigint): string {
  return BigInt.asUintN(64, fp).toString(16).padStart(16, '0');
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
