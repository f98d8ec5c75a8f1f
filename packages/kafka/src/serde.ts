/**
 * The structural serde interfaces `@busbar/kafka` needs; `@busbar/avro`'s serdes satisfy them.
 */

/** Encodes values of one record type to message bytes. */
export interface Encoder<T> {
  /** @throws when the value does not match the schema. */
  encode(value: T): Buffer;
}

/** Decodes message bytes to values of one record type. */
export interface Decoder<T> {
  /** @throws an error with a `code` (e.g. `BB_AVRO_UNKNOWN_FINGERPRINT`) when the bytes do not decode. */
  decode(bytes: Buffer): T;
}

/** The dead-letter record the consumer publishes for a message it cannot decode. */
export interface DeadLetterRecord {
  /** Topic the message came from. */
  source_topic: string;
  /** Its partition. */
  partition: number;
  /** Its offset (decimal string: offsets are 64-bit). */
  offset: string;
  /** Its key bytes, if any. */
  key: Buffer | null;
  /** Its value bytes as received. */
  payload: Buffer;
  /** Why it failed: a `BB_...` code. */
  error_code: string;
  /** Why it failed: the decoder's message. */
  reason: string;
  /** When it was dead-lettered. */
  timestamp: Date;
}
