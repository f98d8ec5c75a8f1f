/**
 * EXPERIMENTAL: a producer on @platformatic/kafka behind the publish interface of the collectors'
 * store-and-forward forwarder (`BatchSender` in `@busbar/collector-kit`: encoded records of one or
 * more topics in, a promise that resolves once Kafka acknowledged all of them). Not used by any
 * service; kafkajs stays the client of every service (docs/kafka-client.md, "Plan", step 1).
 *
 * Facts (docs/kafka-client.md, "Surface by surface"): @platformatic/kafka's default partitioner
 * (`murmur2 >>> 0`) sends about half of the keys to another partition than kafkajs and the Java
 * client; this producer always uses its `compatibilityPartitioner`, so a device's records land on the
 * same partition whichever client wrote them.
 */
import { Producer, ProduceAcks, compatibilityPartitioner } from '@platformatic/kafka';
import type { Logger } from '@busbar/core';
import { backoffDelayMs, noopLogger } from '@busbar/core';
import type { KafkaConnectionConfig } from './client.js';
import { KafkaConfigError } from './errors.js';

/** One encoded record: what the forwarder's buffer holds. */
export interface EncodedRecord {
  /** Destination topic. */
  readonly topic: string;
  /** Partition key (the device id). */
  readonly key: string;
  /** The encoded value (Avro with its framing, already framed by the caller). */
  readonly value: Buffer;
}

/** Options of {@link createPlatformaticProducer}. */
export interface PlatformaticProducerOptions {
  /** Idempotent producer (acks = all either way). @default true */
  readonly idempotent?: boolean;
  /**
   * Retries of a failed request before `send` rejects; delays from `backoffDelayMs` (200 ms doubling,
   * at most 10 s). For an idempotent producer @platformatic/kafka 2.12 turns 0 or 1 into UNLIMITED
   * (`Number.MAX_SAFE_INTEGER`, its producer constructor): `send` then never rejects while no broker
   * answers. @default 8
   */
  readonly retries?: number;
}

/** A producer made by {@link createPlatformaticProducer}. */
export interface PlatformaticProducer {
  /**
   * Sends `records` (any topics) in one call, acks = all; resolves when Kafka acknowledged all of
   * them. Connects on the first call.
   * @throws @platformatic/kafka's error after its retries (an outcome that may be unknown: some of the
   *   records may have been written).
   */
  send(records: readonly EncodedRecord[]): Promise<void>;
  /** Closes the connections; a `send` in progress rejects. */
  close(): Promise<void>;
}

/**
 * Creates an @platformatic/kafka producer with Busbar's settings: `config.brokers`, `clientId`,
 * `requestTimeoutMs` as the request timeout (default 30 s), acks = all, Java-compatible partitioning,
 * idempotent unless `options.idempotent` is false. Broker disconnections and failed connections are
 * logged as warnings (namespace `component: platformatic-kafka`).
 *
 * @throws {KafkaConfigError} `BB_KAFKA_CLIENT_UNSUPPORTED` when `config.ssl` or `config.sasl` is set
 *   (not wired nor tested for this client yet).
 */
export function createPlatformaticProducer(config: KafkaConnectionConfig, options: PlatformaticProducerOptions = {}, logger: Logger = noopLogger): PlatformaticProducer {
  if ((config.ssl !== undefined && config.ssl !== false) || config.sasl !== undefined) {
    throw new KafkaConfigError('BB_KAFKA_CLIENT_UNSUPPORTED', 'the experimental @platformatic/kafka producer does not support kafka.ssl / kafka.sasl yet: use the default client (kafkajs)', {
      context: { field: config.sasl !== undefined ? 'kafka.sasl' : 'kafka.ssl' },
    });
  }
  const log = logger.child({ component: 'platformatic-kafka' });
  const producer = new Producer({
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    connectTimeout: config.connectionTimeoutMs ?? 3000,
    retries: options.retries ?? 8,
    retryDelay: (_client, _operation, attempt) => backoffDelayMs(attempt - 1, { initialDelayMs: 200, maxDelayMs: 10_000 }),
    idempotent: options.idempotent ?? true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
  });
  const where = (p: { broker: { host: string; port: number } }): string => `${p.broker.host}:${p.broker.port}`;
  producer.on('client:broker:disconnect', (p) => log.warn({ broker: where(p) }, 'Kafka broker connection closed'));
  producer.on('client:broker:failed', (p) => log.warn({ broker: where(p) }, 'Kafka broker connection failed'));
  return {
    async send(records) {
      if (records.length === 0) return;
      await producer.send({ messages: records.map((r) => ({ topic: r.topic, key: Buffer.from(r.key), value: r.value })) });
    },
    close: () => producer.close(true),
  };
}
