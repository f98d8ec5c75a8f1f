/**
 * `@busbar/avro`: Busbar's Avro contract in code — CRC-64-AVRO fingerprints, Parsing Canonical
 * Form, single-object encoding and the Confluent wire format with a schema-registry client, the schema catalogue (schemas/ + schemas/history/), typed serdes
 * per topic value, and the default topic names.
 */
export { crc64Avro, CRC64_AVRO_EMPTY } from './codec/crc64.js';
export { fingerprint, parsingCanonicalForm } from './codec/canonical.js';
export type { AvroSchemaJson } from './codec/canonical.js';
export { decodeSingleObjectHeader, encodeSingleObjectHeader, fingerprintHex, SINGLE_OBJECT_HEADER_LENGTH, SINGLE_OBJECT_MARKER } from './codec/single-object.js';
export type { SingleObjectHeader } from './codec/single-object.js';
export { CONFLUENT_HEADER_LENGTH, CONFLUENT_MAGIC, decodeConfluentHeader, detectFraming, encodeConfluentHeader } from './codec/confluent.js';
export type { ConfluentHeader, Framing } from './codec/confluent.js';
export { AvroFraming } from './framing.js';
export type { AvroFramingOptions, FramedDecoder, FramedEncoder } from './framing.js';
export { SchemaRegistryClient } from './registry/client.js';
export type { CompatibilityLevel, SchemaRegistryApi, SchemaRegistryClientOptions } from './registry/client.js';
export { createFraming, loadRegistryOptions } from './registry/config.js';
export type { AvroConfig, RegistryConfig } from './registry/config.js';
export { createAvroType } from './avro-type.js';
export { TimestampMicrosType } from './timestamp-micros.js';
export { AVRO_NAMESPACE, defaultSchemasDir, loadSchemas, SchemaCatalog } from './catalog.js';
export type { AvroResolver, CurrentSchema, LoadSchemasOptions, RecordName, SchemaSource, WriterSchema } from './catalog.js';
export { createSingleObjectSerde } from './serde.js';
export type { Serde, SerdeHooks } from './serde.js';
export { alertSerde, commandResultSerde, commandSerde, deadLetterSerde, defaultSchemaCatalog, deviceEventSerde, readingSerde, wrapCommandParameters } from './serdes.js';
export type {
  Alert, AlertInput, AlertState, Command, CommandInput, CommandParameter, CommandResult, CommandResultInput, CommandStatus, CommandTarget,
  DeadLetter, DeadLetterInput, DeviceEvent, DeviceEventInput, DeviceEventKind, Quality, Reading, ReadingInput, Severity,
} from './records.js';
export { TOPICS } from './topics.js';
export type { TopicSpec } from './topics.js';
export { AvroDecodeError, AvroEncodeError, AvroSchemaError, ERROR_CODES, RegistryError } from './errors.js';
export type { AvroErrorCode } from './errors.js';
