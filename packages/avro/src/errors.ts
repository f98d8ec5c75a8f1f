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
  BB_AVRO_UNKNOWN_SCHEMA_ID: { meaning: 'A Confluent-framed message (00 + schema id) names a schema id the registry says does not exist (HTTP 404, error_code 40403): a record from another registry, or a registry whose storage was lost. The record goes to the dead-letter topic.' },
  BB_AVRO_REGISTRY_UNREACHABLE: { meaning: 'The schema registry could not be reached (connection refused, reset, timeout) or answered 5xx. Retriable: a consumer keeps the batch uncommitted and waits (records are never dropped for it); a publisher retries its start-up registration.' },
  BB_AVRO_REGISTRY_REFUSED: { meaning: 'The schema registry refused a request: 401/403 (basic auth or client certificate wrong), another 4xx, or an answer that is not a Confluent-API answer (wrong URL: Apicurio serves the API under /apis/ccompat/v7).' },
  BB_AVRO_REGISTRY_INCOMPATIBLE: { meaning: 'The schema registry refused to register the current schema under its subject as incompatible (HTTP 409) with the versions registered before (BACKWARD compatibility).' },
  BB_AVRO_SUBJECT_NOT_REGISTERED: { meaning: 'Look-up-only mode (kafka.avro.registry.register: false): the current schema is not registered under its subject (<topic>-value). Register it with the registry\'s own tools first.' },
  BB_AVRO_REGISTRY_NOT_CONFIGURED: { meaning: 'A Confluent-framed message (first byte 00) was consumed by a service without kafka.avro.registry configured, so its schema id cannot be resolved; it goes to the dead-letter topic. Configure the registry on every consumer before any producer switches to the confluent framing.' },
  BB_AVRO_REGISTRY_CONFIG_INVALID: { meaning: 'The registry configuration cannot be used: a password, CA, certificate or key file cannot be read, or framing confluent without a registry.' },
} as const satisfies ErrorCatalogue;

/**
 * Thrown by a serde's `decode` when bytes are not a valid single-object encoded record of the
 * expected type. Codes: `BB_AVRO_BAD_MAGIC`, `BB_AVRO_UNKNOWN_FINGERPRINT`, `BB_AVRO_TRUNCATED`,
 * `BB_AVRO_INVALID_BODY`, `BB_AVRO_WRONG_SCHEMA`; for the Confluent framing also
 * `BB_AVRO_UNKNOWN_SCHEMA_ID` and `BB_AVRO_REGISTRY_NOT_CONFIGURED`. Never retriable: the same bytes fail again, so a
 * consumer sends them to the dead-letter topic.
 */
export class AvroDecodeError extends BusbarError {
  /** @param code - one of the decode codes above. */
  constructor(code: 'BB_AVRO_BAD_MAGIC' | 'BB_AVRO_UNKNOWN_FINGERPRINT' | 'BB_AVRO_TRUNCATED' | 'BB_AVRO_INVALID_BODY' | 'BB_AVRO_WRONG_SCHEMA' | 'BB_AVRO_UNKNOWN_SCHEMA_ID' | 'BB_AVRO_REGISTRY_NOT_CONFIGURED', message: string, options: Omit<BusbarErrorOptions, 'retriable'> = {}) {
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

/**
 * Thrown by the schema-registry client and the Confluent framing when the registry cannot be used:
 * `BB_AVRO_REGISTRY_UNREACHABLE` (retriable: wait and try again), `BB_AVRO_REGISTRY_REFUSED`,
 * `BB_AVRO_REGISTRY_INCOMPATIBLE`, `BB_AVRO_SUBJECT_NOT_REGISTERED`, `BB_AVRO_UNKNOWN_SCHEMA_ID`,
 * `BB_AVRO_REGISTRY_CONFIG_INVALID`. Context: `url` (never credentials), `status`, `errorCode`
 * (the Confluent `error_code`), `subject`, `schemaId`.
 */
export class RegistryError extends BusbarError {
  /**
   * @param code - one of the registry codes above.
   * @param options - `retriable` true only for `BB_AVRO_REGISTRY_UNREACHABLE`.
   */
  constructor(
    code: 'BB_AVRO_REGISTRY_UNREACHABLE' | 'BB_AVRO_REGISTRY_REFUSED' | 'BB_AVRO_REGISTRY_INCOMPATIBLE' | 'BB_AVRO_SUBJECT_NOT_REGISTERED' | 'BB_AVRO_UNKNOWN_SCHEMA_ID' | 'BB_AVRO_REGISTRY_CONFIG_INVALID',
    message: string,
    options: BusbarErrorOptions = {},
  ) {
    super(code, message, { ...options, retriable: options.retriable ?? code === 'BB_AVRO_REGISTRY_UNREACHABLE' });
  }
}
