/**
 * Confluent wire format (Confluent Schema Registry documentation, "Wire format"; the same framing
 * Apicurio Registry's Confluent-compatible serdes write):
 *
 *   offset 0  1 byte   magic      00
 *   offset 1  4 bytes  schema id  the writer schema's id in the registry, big-endian, signed 32-bit
 *   offset 5  n bytes  body       Avro binary encoding of the datum (writer schema)
 *
 * and the test that tells it from Avro single-object encoding (`C3 01` + fingerprint), so that one
 * consumer reads both framings during a migration. Pure: no I/O.
 */
import { AvroDecodeError } from '../errors.js';
import { SINGLE_OBJECT_MARKER } from './single-object.js';

/** The Confluent magic byte `00`. */
export const CONFLUENT_MAGIC = 0x00;

/** Length of the Confluent header: magic (1) + schema id (4). */
export const CONFLUENT_HEADER_LENGTH = 5;

/** A framing of Busbar's topic values. */
export type Framing = 'single-object' | 'confluent';

/** The 5-byte Confluent header for schema id `id` (0 … 2^31 − 1). */
export function encodeConfluentHeader(id: number): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`schema id must be an integer in 0..2147483647, got ${id}`);
  const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
  header[0] = CONFLUENT_MAGIC;
  header.writeInt32BE(id, 1);
  return header;
}

/** A parsed Confluent header. */
export interface ConfluentHeader {
  /** Writer schema id in the registry. */
  readonly schemaId: number;
  /** Offset of the Avro body in the message (always 5). */
  readonly bodyOffset: number;
}

/**
 * Reads the header of a Confluent-framed message.
 * @throws {AvroDecodeError} `BB_AVRO_BAD_MAGIC` when the first byte is not `00`; `BB_AVRO_TRUNCATED`
 *   when shorter than 5 bytes; `BB_AVRO_INVALID_BODY` when the id is negative (no registry issues one).
 */
export function decodeConfluentHeader(buf: Uint8Array): ConfluentHeader {
  if (buf.length > 0 && buf[0] !== CONFLUENT_MAGIC) {
    throw new AvroDecodeError('BB_AVRO_BAD_MAGIC', `not the Confluent wire format: byte 0 is 0x${(buf[0] ?? 0).toString(16).padStart(2, '0')}, expected 0x00`, {
      context: { offset: 0, expected: CONFLUENT_MAGIC, actual: buf[0] },
    });
  }
  if (buf.length < CONFLUENT_HEADER_LENGTH) {
    throw new AvroDecodeError('BB_AVRO_TRUNCATED', `message of ${buf.length} bytes is shorter than the 5-byte Confluent header`, {
      context: { length: buf.length, expected: CONFLUENT_HEADER_LENGTH },
    });
  }
  const schemaId = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(1, false);
  if (schemaId < 0) {
    throw new AvroDecodeError('BB_AVRO_INVALID_BODY', `Confluent schema id ${schemaId} is negative`, { context: { offset: 1, actual: schemaId } });
  }
  return { schemaId, bodyOffset: CONFLUENT_HEADER_LENGTH };
}

/**
 * Which framing a message uses, from its first bytes: `C3 01` → `single-object`, `00` →
 * `confluent`, anything else (or too short to tell) → `undefined`.
 */
export function detectFraming(buf: Uint8Array): Framing | undefined {
  if (buf.length >= 2 && buf[0] === SINGLE_OBJECT_MARKER[0] && buf[1] === SINGLE_OBJECT_MARKER[1]) return 'single-object';
  if (buf.length >= 1 && buf[0] === CONFLUENT_MAGIC) return 'confluent';
  return undefined;
}
