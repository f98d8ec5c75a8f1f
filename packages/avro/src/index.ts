/**
 * `@busbar/avro`: Busbar's Avro contract in code. Public: the typed serdes per topic value (Avro
 * single-object encoding, CRC-64-AVRO fingerprints, schemas/ + schemas/history/ resolved inside),
 * the record types, the topic names, the framings (`AvroFraming`: single-object or the Confluent
 * wire format with a schema registry, `createFraming` from the `kafka.avro` configuration) and the
 * error catalogue. Fingerprinting, canonical form, headers, the registry client and the schema
 * catalogue are internal (README "API").
 */
export {
  alertSerde,
  commandResultSerde,
  commandSerde,
  deadLetterSerde,
  deviceEventSerde,
  readingSerde,
} from './serdes.js';
export type {
  Alert,
  Command,
  CommandInput,
  CommandParameter,
  CommandResult,
  CommandResultInput,
  CommandStatus,
  DeadLetter,
  DeviceEvent,
  DeviceEventInput,
  Reading,
  ReadingInput,
} from './records.js';
export { AvroFraming } from './framing.js';
export type { FramedDecoder, FramedEncoder } from './framing.js';
export { SchemaRegistryClient } from './registry/client.js';
export { createFraming } from './registry/config.js';
export type { AvroConfig } from './registry/config.js';
export type { Serde } from './serde.js';
export { TOPICS } from './topics.js';
export { ERROR_CODES } from './errors.js';
