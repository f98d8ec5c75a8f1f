/**
 * Errors of `@busbar/avro`. Every code is listed in {@link ERROR_CODES}.
 */
import { BusbarError, type BusbarErrorOptions, type ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/avro`. */
export const ERROR_CODES = {
  BB_AVRO_BAD_MAGIC: { meaning: 'A message does not start with the single-object marker C3 01 (Avro specification, "Single-object encoding"): not Busbar Avro, or another framing (schema registry).' },
  BB_AVRO_UNKNOWN_FINGERPRINT: { meaning: 'The writer-schema fingerprint of a message is not in the schema catalogue (schemas/*.avsc and schemas/history/**): a newer producer, or a schema version missing from history/. Context: fingerprint (16 hex digits, as written little-endian on the wire).' },
  BB_AVRO_TRUNCATED: { meaning: 'A message ends before its 10-byte header or its Avro body is complete.' },
  BB_AVRO_INVALID_BODY: { meaning: 'The Avro body does not decode with the writer schema named by its fingerprint (bad union/enum index, negative length...) or is followed by trailing bytes.' },
  BB_AVRO_WRONG_SCHEMA: { meaning: 'A message carries the known fingerprint of another record type than the serde expects (a DeviceEvent on the readings topic).' },
  BB_AVRO_INVALID_VALUE: { meaning: 'A value to encode does not match its schema; the message and context name the field path (values.voltage_v) and the expected type.' },
  BB_AVRO_SCHEMA_NOT_FOUND: { meaning: 'The schemas directory or a schema file in it is missing (see BUSBAR_SCHEMAS_DIR).' },
  BB_AVRO_SCHEMA_INVALID: { meaning: 'A .avsc file is not valid JSON or not a valid Avro schema, or is not where its record name says it belongs.' },
  BB_AVRO_SCHEMA_INCOMPATIBLE: { meaning: 'A current schema cannot read data written with one of its committed history versions (BACKWARD compatibility broken).' },
} as const satisfies ErrorCatalogue;

/**
 * Thrown by a serde's `decode` when bytes are not a valid single-object encoded record of the
 * expected type. Codes: `BB_AVRO_BAD_MAGIC`, `BB_AVRO_UNKNOWN_FINGERPRINT`, `BB_AVRO_TRUNCATED`,
 * `BB_AVRO_INVALID_BODY`, `BB_AVRO_WRONG_SCHEMA`. Never retriable: the same bytes fail again, so a
 * consumer sends them to the dead-letter topic.
 */
export class AvroDecodeError extends BusbarError {
  /** @param code - one of the decode codes above. */
  constructor(code: 'BB_AVRO_BAD_MAGIC' | 'BB_AVRO_UNKNOWN_FINGERPRINT' | 'BB_AVRO_TRUNCATED' | 'BB_AVRO_INVALID_BODY' | 'BB_AVRO_WRONG_SCHEMA', message: string, options: Omit<BusbarErrorOptions, 'retriable'> = {}) {
    super(code, message, { ...options, retriable: false });
  }
}

/**
 * Thrown by a serde's `encode` when the value does not match the schema: code
 * `BB_AVRO_INVALID_VALUE`, context `{ record, path, expected }` where `path` is the dotted field
 * path (`values.voltage_v`, `target.channel`) of the first invalid field. Not retriable.
 */
export class AvroEncodeError extends BusbarError {
  /** @param message - names the record, the field path and the expected type. */
  constructor(message: string, options: Omit<BusbarErrorOptions, 'retriable'> = {}) {
    super('BB_AVRO_INVALID_VALUE', message, { ...options, retriable: false });
  }
}

/**
 * Thrown while loading the schema catalogue: `BB_AVRO_SCHEMA_NOT_FOUND`, `BB_AVRO_SCHEMA_INVALID`,
 * `BB_AVRO_SCHEMA_INCOMPATIBLE`. Context names the file. A deployment error: not retriable.
 */
export class AvroSchemaError extends BusbarError {
  /** @param code - one of the schema-loading codes above. */
  constructor(code: 'BB_AVRO_SCHEMA_NOT_FOUND' | 'BB_AVRO_SCHEMA_INVALID' | 'BB_AVRO_SCHEMA_INCOMPATIBLE', message: string, options: Omit<BusbarErrorOptions, 'retriable'> = {}) {
    super(code, message, { ...options, retriable: false });
  }
}
