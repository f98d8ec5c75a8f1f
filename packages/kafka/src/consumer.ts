/**
 * Consuming one topic (or several: `moreTopics`) in a consumer group with decode, dead-letter and
 * commit-after-handler.
 *
 * Semantics (at-least-once):
 * - each batch of a partition is decoded; a message that does not decode is published to the
 *   dead-letter topic with its bytes and the reason, and the consumer keeps going;
 * - the handler gets the decoded records; offsets are committed only after the handler resolved
 *   (and after dead letters were acknowledged), so a crash or a failing sink replays, never loses;
 * - a handler that must wait (InfluxDB down) keeps the group membership by calling `heartbeat()`
 *   and stops waiting when `isRunning()` turns false (shutdown) or a heartbeat fails (rebalance);
 *   it then THROWS, so that the batch is not committed — a handler that returns normally has done
 *   its work, and its batch is committed even while the consumer is stopping (a graceful stop
 *   commits the batch in progress);
 * - a dead letter larger than `maxDeadLetterPayloadBytes` carries the first bytes of the payload
 *   and says so in its reason, so that an oversize poison record cannot block its partition;
 * - both framings are read (`C3 01` single-object, `00` Confluent) when the client was made with
 *   `kafka.avro` (see `createKafka`): the schema ids of a batch's Confluent-framed records are
 *   resolved before it is decoded; while the registry cannot be reached (or refuses: 401...) the
 *   batch WAITS — retried with capped backoff, heartbeating, nothing committed, nothing
 *   dead-lettered (`busbar_kafka_registry_waits_total`); an id the registry says does not exist is
 *   a dead letter (`BB_AVRO_UNKNOWN_SCHEMA_ID`).
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { backoffDelayMs, errorCode, isBusbarError, noopLogger, noopMetrics, sleep } from '@busbar/core';
import type { AvroFraming } from '@busbar/avro';
import { framedDecoder, framingOf, type PreparedDecoder } from './framing.js';
import type { DeadLetterRecord, Decoder, Encoder } from './serde.js';
import { retryKafkaStartup } from './startup.js';
import type { StartupRetryOptions } from './startup.js';

/** One decoded record with its position. */
export interface ConsumedRecord<T> {
  /** The decoded value. */
  readonly value: T;
  /** The message key as a string (device id), or null. */
  readonly key: string | null;
  /** Source topic. */
  readonly topic: string;
  /** Source partition. */
  readonly partition: number;
  /** Offset (decimal string). */
  readonly offset: string;
  /** Kafka message timestamp, ms since epoch (producer's create time). */
  readonly kafkaTimestampMs: number;
}

/** What a handler may do while it works on a batch. */
export interface BatchControl {
  /** Tells the group coordinator this member is alive (call at least every few seconds while waiting). */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition was revoked: stop waiting, throw or return. */
  isRunning(): boolean;
}

/** Options of {@link DecodingConsumer}. */
export interface DecodingConsumerOptions<T> {
  /** kafkajs client. */
  readonly kafka: Kafka;
  /** Producer used for dead letters (connected by the caller). */
  readonly producer: Producer;
  /** Consumer group id: scale out by running more members of the same group. */
  readonly groupId: string;
  /** Topic to consume. */
  readonly topic: string;
  /** Read from the beginning when the group has no committed offset (default true). */
  readonly fromBeginning?: boolean;
  /** Value decoder. */
  readonly decoder: Decoder<T>;
  /**
   * Further topics this member consumes in the same group, each with its decoder (records carry
   * their `topic`). One group over several topics needs one subscription: kafkajs' assigners give
   * every member partitions of every topic the group subscribes to.
   */
  readonly moreTopics?: readonly { readonly topic: string; readonly decoder: Decoder<T> }[];
  /** Dead-letter topic and encoder. */
  readonly deadLetter: { readonly topic: string; readonly encoder: Encoder<DeadLetterRecord> };
  /** Processes a batch; offsets are committed after it resolves. */
  readonly handle: (records: ConsumedRecord<T>[], control: BatchControl) => Promise<void>;
  /** Max bytes fetched per partition per request (default 1 MiB): bounds a batch. */
  readonly maxBytesPerPartition?: number;
  /** Session timeout, ms (default 30000). */
  readonly sessionTimeoutMs?: number;
  /** Largest payload a dead letter carries, bytes (default 512 KiB); longer ones are cut and say so. */
  readonly maxDeadLetterPayloadBytes?: number;
  /** Value framing (reads both; Confluent-framed records through its registry). @default the framing `createKafka` attached to `kafka` */
  readonly framing?: AvroFraming;
  /** Longest wait between two tries to reach the schema registry, ms (default 10000). */
  readonly maxRegistryRetryDelayMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Retry of Kafka's retriable errors while starting (default: 60 s bound, core backoff; see `retryKafkaStartup`). */
  readonly startupRetry?: Omit<StartupRetryOptions, 'logger'>;
}

/** A running consumer group member for one topic (or several, `moreTopics`). */
export class DecodingConsumer<T> {
  private consumer: Consumer | undefined;
  /** Offsets already dead-lettered per partition and not yet committed: a redelivered batch does not dead-letter them twice. */
  private readonly deadLettered = new Map<number, Set<string>>();
  private readonly log: Logger;
  private readonly recordsIn;
  private readonly deadLetters;
  private readonly batchSize;
  private readonly handleSeconds;
  private readonly lag;
  private readonly registryWaits;
  /** Prepared decoder by topic. */
  private readonly decoders = new Map<string, PreparedDecoder<T>>();

  /** @param options - see {@link DecodingConsumerOptions}. */
  constructor(private readonly options: DecodingConsumerOptions<T>) {
    this.log = (options.logger ?? noopLogger).child({ topic: [options.topic, ...(options.moreTopics ?? []).map((t) => t.topic)].join(','), groupId: options.groupId });
    const m = options.metrics ?? noopMetrics;
    this.recordsIn = m.counter({ name: 'busbar_kafka_records_in_total', help: 'Records consumed and decoded.', labelNames: ['topic'] });
    this.deadLetters = m.counter({ name: 'busbar_kafka_dead_letters_total', help: 'Records sent to the dead-letter topic, by reason code.', labelNames: ['topic', 'code'] });
    this.batchSize = m.histogram({ name: 'busbar_kafka_batch_size_records', help: 'Records per consumed batch.', labelNames: ['topic'], buckets: [1, 5, 10, 50, 100, 500, 1000, 5000] });
    this.handleSeconds = m.histogram({ name: 'busbar_kafka_handle_seconds', help: 'Time the handler took per batch, including retries.', labelNames: ['topic'] });
    this.registryWaits = m.counter({ name: 'busbar_kafka_registry_waits_total', help: 'Times a batch waited because the schema registry could not resolve its schema ids (unreachable or refusing).', labelNames: ['topic', 'code'] });
    const framing = options.framing ?? framingOf(options.kafka);
    for (const { topic, decoder } of [{ topic: options.topic, decoder: options.decoder }, ...(options.moreTopics ?? [])]) this.decoders.set(topic, framedDecoder(decoder, framing));
    this.lag = m.gauge({ name: 'busbar_kafka_consumer_lag_records', help: 'High watermark minus the last offset handled, per partition.', labelNames: ['topic', 'partition'] });
  }

  /**
   * Joins the group and starts consuming (resolves once running). Connecting and subscribing are
   * repeated while Kafka answers with an error it marks retriable (a topic just created, a leader or
   * coordinator moving), for a bounded time (`startupRetry`); each retry is logged.
   *
   * @throws kafkajs' error when it is not retriable or still fails after the bound.
   */
  async start(): Promise<void> {
    const o = this.options;
    const consumer = o.kafka.consumer({ groupId: o.groupId, sessionTimeout: o.sessionTimeoutMs ?? 30_000, maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576, allowAutoTopicCreation: true });
    this.consumer = consumer;
    const retry = { ...o.startupRetry, logger: this.log };
    const topics = [...this.decoders.keys()];
    await retryKafkaStartup(`connect consumer of ${topics.join(', ')}`, () => consumer.connect(), retry);
    await retryKafkaStartup(`subscribe to ${topics.join(', ')}`, () => consumer.subscribe({ topics, fromBeginning: o.fromBeginning ?? true }), retry);
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
  }

  /** Leaves the group: the batch in progress finishes (or sees `isRunning()` false), then disconnects. */
  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const o = this.options;
    const consumer = this.consumer;
    if (batch.messages.length === 0) return;
    const hw = BigInt(batch.highWatermark);
    this.lag.set({ topic: batch.topic, partition: batch.partition }, Number(hw - BigInt(batch.messages[0]!.offset)));
    const maxPayload = o.maxDeadLetterPayloadBytes ?? 512 * 1024;
    const good: ConsumedRecord<T>[] = [];
    const dead: DeadLetterRecord[] = [];
    const alreadyDead = this.deadLettered.get(batch.partition) ?? new Set<string>();
    this.deadLettered.set(batch.partition, alreadyDead);
    const running = (): boolean => isRunning() && !isStale();
    const decoder = this.decoders.get(batch.topic)!;
    if (decoder.prepare !== undefined) await this.prepare(decoder, batch.topic, batch.messages.map((m) => m.value), heartbeat, running);
    for (const m of batch.messages) {
      const payload = m.value ?? Buffer.alloc(0);
      if (alreadyDead.has(m.offset)) continue;
      try {
        good.push({ value: decoder.decode(payload), key: m.key ? m.key.toString('utf8') : null, topic: batch.topic, partition: batch.partition, offset: m.offset, kafkaTimestampMs: Number(m.timestamp) });
      } catch (err) {
        // a retriable error (a schema id the registry could not resolve) is not the record's fault: the batch is retried, nothing dead-lettered
        if (isBusbarError(err) && err.retriable) throw err;
        const code = errorCode(err) === 'BB_CORE_UNEXPECTED' ? 'BB_KAFKA_UNDECODABLE' : errorCode(err);
        const reason = err instanceof Error ? err.message : String(err);
        const cut = payload.length > maxPayload;
        dead.push({ source_topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ?? null, payload: cut ? payload.subarray(0, maxPayload) : payload, error_code: code, reason: cut ? `${reason} (payload cut to its first ${maxPayload} of ${payload.length} bytes)` : reason, timestamp: new Date() });
      }
    }
    if (dead.length > 0) {
      await o.producer.send({ topic: o.deadLetter.topic, acks: -1, messages: dead.map((d) => ({ key: d.key, value: o.deadLetter.encoder.encode(d) })) });
      for (const d of dead) {
        alreadyDead.add(d.offset);
        this.deadLetters.inc({ topic: batch.topic, code: d.error_code });
        this.log.warn({ partition: d.partition, offset: d.offset, code: d.error_code, reason: d.reason }, 'record sent to the dead-letter topic');
      }
    }
    if (good.length > 0) {
      const started = performance.now();
      await o.handle(good, { heartbeat, isRunning: running });
      this.handleSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
      this.recordsIn.inc({ topic: batch.topic }, good.length);
      this.batchSize.observe({ topic: batch.topic }, good.length);
    }
    // The handler returned: its work is done, so commit — also while stopping (a graceful stop
    // commits the batch in progress). A handler that gave up threw instead, and nothing is committed.
    if (isStale() || !consumer) return;
    const last = batch.messages[batch.messages.length - 1]!;
    resolveOffset(last.offset);
    try {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    } catch (err) {
      // e.g. the partition was reassigned meanwhile: its new owner replays the batch (at-least-once)
      this.log.warn({ partition: batch.partition, offset: last.offset, err: err instanceof Error ? err.message : String(err) }, 'could not commit a handled batch; it will be replayed');
      return;
    }
    alreadyDead.clear(); // everything up to the committed offset is behind us
    this.lag.set({ topic: batch.topic, partition: batch.partition }, Number(hw - BigInt(last.offset) - 1n));
    if (!isRunning()) return;
    await heartbeat();
  }

  /**
   * Resolves the batch's schema ids, waiting as long as the registry cannot answer (capped
   * backoff, heartbeats every 3 s at most). Throws only when the consumer stops or loses the
   * partition meanwhile, so that the batch is not committed.
   */
  private async prepare(decoder: PreparedDecoder<T>, topic: string, payloads: (Buffer | null)[], heartbeat: () => Promise<void>, running: () => boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await decoder.prepare!(payloads);
        if (attempt > 0) this.log.info({ attempts: attempt + 1 }, 'schema registry answered; the batch goes on');
        return;
      } catch (err) {
        const code = errorCode(err);
        this.registryWaits.inc({ topic, code });
        if (!running()) throw err;
        const delay = backoffDelayMs(attempt, { initialDelayMs: 250, maxDelayMs: this.options.maxRegistryRetryDelayMs ?? 10_000 });
        this.log.warn({ code, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'schema registry cannot resolve the batch\'s schema ids; the batch waits (nothing committed, nothing dropped)');
        const until = Date.now() + delay;
        while (Date.now() < until) {
          await sleep(Math.min(3000, until - Date.now()));
          if (!running()) throw err;
          await heartbeat();
        }
      }
    }
  }
}
