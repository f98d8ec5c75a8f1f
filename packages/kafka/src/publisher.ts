/**
 * Publishing records to Kafka: values encoded by a serde, keyed by device id so that one device's
 * records stay ordered within one partition (schemas/README.md, "Keys").
 */
import type { Producer } from 'kafkajs';
import type { Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import type { AvroFraming } from '@busbar/avro';
import { framedEncoder, framingOf, type PreparedEncoder } from './framing.js';
import type { Encoder } from './serde.js';

/** One record to publish. */
export interface OutgoingRecord<T> {
  /** Partition key: the device id. */
  readonly key: string;
  /** The record. */
  readonly value: T;
}

/**
 * Publishes records of one type to one topic through a shared kafkajs producer.
 * The producer is idempotent with `acks: -1` (all in-sync replicas).
 *
 * Group commit: while one produce request is in flight, records published meanwhile wait and
 * leave together in the next request (no timer, no added latency when idle). Each caller's promise
 * resolves when the request carrying its records was acknowledged, or rejects with its error.
 *
 * Framing: the producer's (see `createKafka`, `kafka.avro.framing`), or `framing` when given. With
 * `confluent`, the publisher learns its subject's schema id when constructed (registering the
 * schema unless look-up only) and every `publish` waits for it; a failure to learn it rejects that
 * `publish` (`BB_AVRO_REGISTRY_*`) and the next one tries again.
 */
export class RecordPublisher<T> {
  private readonly out;
  private readonly latency;
  private readonly batchSize;
  private waiting: { messages: { key: string; value: Buffer }[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private sending = false;
  private readonly encoder: PreparedEncoder<T>;

  /**
   * @param producer - a connected kafkajs producer (shared by the service's publishers).
   * @param topic - destination topic.
   * @param serde - value encoder (a `@busbar/avro` serde is framed as configured).
   * @param metrics - where `busbar_kafka_records_out_total` and the publish histograms go.
   * @param framing - overrides the producer's framing.
   */
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    serde: Encoder<T>,
    metrics: Metrics = noopMetrics,
    framing: AvroFraming | undefined = framingOf(producer),
  ) {
    this.encoder = framedEncoder(serde, topic, framing);
    // registration at start: the first publish finds the id known (errors surface from publish)
    if (this.encoder.ready !== undefined) this.encoder.ready().catch(() => undefined);
    this.out = metrics.counter({ name: 'busbar_kafka_records_out_total', help: 'Records published to Kafka.', labelNames: ['topic'] });
    this.latency = metrics.histogram({ name: 'busbar_kafka_publish_seconds', help: 'Time from send to broker acknowledgement.', labelNames: ['topic'] });
    this.batchSize = metrics.histogram({ name: 'busbar_kafka_publish_batch_records', help: 'Records per produce request (group commit).', labelNames: ['topic'], buckets: [1, 2, 5, 10, 20, 50, 100, 500, 1000, 5000] });
  }

  /**
   * Encodes `records` and sends them (with whatever else is waiting) in one produce request;
   * resolves when the brokers acknowledged them.
   *
   * @throws the encoder's error (nothing of this call sent), a `RegistryError` when the schema id
   *   cannot be learnt (confluent framing), or kafkajs' error after its retries.
   */
  publish(records: readonly OutgoingRecord<T>[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const enc = this.encoder;
    if (enc.ready !== undefined && enc.isReady?.() === false) return enc.ready().then(() => this.publish(records));
    let messages: { key: string; value: Buffer }[];
    try {
      messages = records.map((r) => ({ key: r.key, value: enc.encode(r.value) }));
    } catch (err) {
      return Promise.reject(err);
    }
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ messages, resolve, reject }));
    if (!this.sending) void this.drain();
    return done;
  }

  /**
   * Turns a record stored in single-object encoding (a store-and-forward buffer keeps them so, since
   * a poll must not wait for a schema id) into this publisher's framing: returned as it is for
   * single-object; for the Confluent framing decoded and encoded again once the schema id is known
   * (waits for it: while the registry is away the record stays buffered).
   *
   * @param decode - the serde's single-object decoder.
   * @throws the framing's `RegistryError` when the schema id cannot be learnt; the serde's errors.
   */
  async frame(stored: Buffer, decode: (bytes: Buffer) => T): Promise<Buffer> {
    const enc = this.encoder as PreparedEncoder<T> & { readonly framing?: string };
    if (enc.framing !== 'confluent') return stored;
    if (enc.ready !== undefined && enc.isReady?.() === false) await enc.ready();
    return enc.encode(decode(stored));
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      const messages = batch.flatMap((w) => w.messages);
      const started = performance.now();
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
        this.latency.observe({ topic: this.topic }, (performance.now() - started) / 1000);
        this.out.inc({ topic: this.topic }, messages.length);
        this.batchSize.observe({ topic: this.topic }, messages.length);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.sending = false;
  }
}

/** Creates the idempotent producer settings Busbar uses. */
export const PRODUCER_OPTIONS = { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true } as const;
