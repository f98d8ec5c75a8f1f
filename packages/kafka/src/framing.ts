/**
 * Which value framing a kafkajs client, and the producers made from it, use: set once by
 * {@link createKafka} from the `kafka.avro` section, read by {@link RecordPublisher},
 * {@link DecodingConsumer} and {@link readTopicToEnd}, so that a service passes its `kafka:` section
 * to `createKafka` and every publisher and consumer it builds follows the deployment's framing.
 *
 * Serdes of `@busbar/avro` are wrapped (see `AvroFraming`); any other encoder/decoder is used as is.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { AvroFraming, FramedDecoder, FramedEncoder, Serde } from '@busbar/avro';
import type { Decoder, Encoder } from './serde.js';

const framings = new WeakMap<object, AvroFraming>();

/** Internal: records `framing` for a kafkajs client or producer. */
export function setFraming(target: Kafka | Producer, framing: AvroFraming): void {
  framings.set(target, framing);
}

/** The framing `createKafka` attached to a kafkajs client or to a producer made from it; `undefined` for clients made otherwise. */
export function framingOf(target: Kafka | Producer): AvroFraming | undefined {
  return framings.get(target);
}

function isSerde(x: unknown): x is Serde<unknown, never> {
  const s = x as Partial<Serde<unknown, never>>;
  return typeof s.encodeBody === 'function' && typeof s.decodeBody === 'function' && typeof s.schema === 'function';
}

/** An encoder that may need an asynchronous start (learning a schema id). */
export type PreparedEncoder<T> = Encoder<T> & Partial<Pick<FramedEncoder<T>, 'ready' | 'isReady'>>;
/** A decoder that may need to resolve a batch's schema ids before decoding it. */
export type PreparedDecoder<T> = Decoder<T> & Partial<Pick<FramedDecoder<T>, 'prepare'>>;

/** Internal: the encoder of `topic` under `framing` (the serde itself for single-object or a non-Avro encoder). */
export function framedEncoder<T>(encoder: Encoder<T>, topic: string, framing: AvroFraming | undefined): PreparedEncoder<T> {
  if (framing === undefined || framing.framing === 'single-object' || !isSerde(encoder)) return encoder;
  return framing.encoder(encoder as unknown as Serde<unknown, T>, topic);
}

/** Internal: a decoder reading both framings under `framing` (the serde itself when no framing is configured or for a non-Avro decoder). */
export function framedDecoder<T>(decoder: Decoder<T>, framing: AvroFraming | undefined): PreparedDecoder<T> {
  if (framing === undefined || !isSerde(decoder)) return decoder;
  return framing.decoder(decoder as unknown as Serde<T, never>);
}

/**
 * The encoder of `topic` as the service's framing wants it (`createKafka`'s `avro` option: single-object
 * or Confluent with a schema id learnt from the registry), for a writer that produces by itself — a
 * transactional producer — rather than through a `RecordPublisher`.
 *
 * @param kafka - the client made by `createKafka` (its framing is used).
 * @returns `encode(value)`: resolves to the framed bytes; rejects with the encoder's error or a
 *   `RegistryError` when the schema id cannot be learnt.
 */
export function topicEncoder<T>(kafka: Kafka, topic: string, encoder: Encoder<T>): (value: T) => Promise<Buffer> {
  const enc = framedEncoder(encoder, topic, framingOf(kafka));
  return async (value) => {
    if (enc.ready !== undefined && enc.isReady?.() === false) await enc.ready();
    return enc.encode(value);
  };
}
