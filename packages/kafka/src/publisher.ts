/**
 * Publishing records to Kafka: values encoded by a serde, keyed by device id so that one device's
 * records stay ordered within one partition (schemas/README.md, "Keys").
 */
import type { Producer } from 'kafkajs';
import type { Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
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
 */
export class RecordPublisher<T> {
  private readonly out;
  private readonly latency;

  /**
   * @param producer - a connected kafkajs producer (shared by the service's publishers).
   * @param topic - destination topic.
   * @param serde - value encoder.
   */
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly serde: Encoder<T>,
    metrics: Metrics = noopMetrics,
  ) {
    this.out = metrics.counter({ name: 'busbar_kafka_records_out_total', help: 'Records published to Kafka.', labelNames: ['topic'] });
    this.latency = metrics.histogram({ name: 'busbar_kafka_publish_seconds', help: 'Time from send to broker acknowledgement.', labelNames: ['topic'] });
  }

  /**
   * Encodes and sends `records` in one produce request; resolves when the brokers acknowledged.
   *
   * @throws the encoder's error (nothing sent) or kafkajs' error after its retries.
   */
  async publish(records: readonly OutgoingRecord<T>[]): Promise<void> {
    if (records.length === 0) return;
    const messages = records.map((r) => ({ key: r.key, value: this.serde.encode(r.value) }));
    const started = performance.now();
    await this.producer.send({ topic: this.topic, acks: -1, messages });
    this.latency.observe({ topic: this.topic }, (performance.now() - started) / 1000);
    this.out.inc({ topic: this.topic }, records.length);
  }
}

/** Creates the idempotent producer settings Busbar uses. */
export const PRODUCER_OPTIONS = { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true } as const;
