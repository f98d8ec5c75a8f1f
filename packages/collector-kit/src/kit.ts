/**
 * What every collector service shares (Modbus, Arbin, Maccor, Corus...): one idempotent Kafka
 * producer and the publishers of `Reading`, `DeviceEvent` and `CommandResult` records keyed by device
 * id; the CONNECTED/DISCONNECTED events of a {@link SupervisorEvents}; and the consumer of the commands
 * the commander routed to this process because it owns a single-session device
 * (docs/architecture.md "Single-session devices").
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode } from '@busbar/core';
import type { CommandExecutor } from '@busbar/commands';
import { CommandPipeline, answersCommandId } from '@busbar/commands';
import type { Command, CommandResultInput, DeviceEventInput, ReadingInput } from '@busbar/avro';
import { commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { KafkaConfig, TopicsConfig } from '@busbar/kafka';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, healingProducer, readTopicToEnd, retryKafkaStartup } from '@busbar/kafka';
import type { SupervisorEvents } from '@busbar/supervisor';
import type { BufferedRecord } from './buffer.js';
import { Forwarder, RecordBuffer } from './buffer.js';
import { RoutedCommandDispatcher, decoratedResultSink } from './routing.js';

/** Results are read back from this much before the command lifetime, ms: a margin for clock skew between hosts (producer timestamps). */
const REPLAY_MARGIN_MS = 600_000;

/** Options of {@link CollectorKit.start}. */
export interface CollectorKitOptions {
  /** Service name, e.g. `collector-modbus`: Kafka client id `busbar-<service>-<instanceId>` and the routed-commands consumer group of the same name. */
  readonly service: string;
  /** Protocol written into events (`modbus`, `arbin-cti`...). */
  readonly protocol: string;
  /** The service's `kafka:` section. */
  readonly kafka: KafkaConfig;
  /** The service's `topics:` section. */
  readonly topics: TopicsConfig;
  /** This process's identity (config `instanceId`). */
  readonly instanceId: string;
  /**
   * Store-and-forward (config `buffer`): readings and events go to this durable buffer and are
   * forwarded to Kafka from there, so polling never waits on Kafka. Absent: published directly.
   */
  readonly buffer?: StoreAndForwardOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The `buffer:` section of a collector (see {@link RecordBuffer}). */
export interface StoreAndForwardOptions {
  /** SQLite file of the buffer. */
  readonly path: string;
  /** Byte bound; the oldest records are dropped (and counted) beyond it. */
  readonly maxBytes: number;
  /** Age bound, ms. */
  readonly maxAgeMs: number;
  /** `/healthz` reports `degraded` while the oldest buffered record is older than this, ms. */
  readonly degradedAfterMs: number;
}

/** Options of {@link CollectorKit.consumeRoutedCommands}. */
export interface RoutedCommandsOptions {
  /** Whether this process owns the command's device (others are skipped: another collector owns them). */
  owns(deviceId: string): boolean;
  /** Admission, validation, execution (its resolver must execute, never route). */
  readonly executor: CommandExecutor;
  /**
   * Commands handled without blocking the consumer (set-points that a newer one may supersede while
   * the older waits for its pacing slot). Their offsets are committed before they finish: a crash
   * loses them, which a set-point stream tolerates and a start/stop must not — keep it narrow.
   */
  concurrent?(cmd: Command): boolean;
  /**
   * When true, a command that is not {@link RoutedCommandsOptions.concurrent} first waits for the
   * concurrent commands of the same device still in flight (Arbin: a stop never overtakes the
   * set-MVs before it). Default false.
   */
  readonly orderAfterConcurrent?: boolean;
  /**
   * Adds to a result before it is published (e.g. which command superseded it). Called once per
   * command: a result whose publish failed is republished as decorated the first time.
   */
  decorate?(cmd: Command, result: CommandResultInput): CommandResultInput;
}

/** Options of {@link CollectorKit.connectionEvents}. */
export interface ConnectionEventOptions {
  /**
   * Reason and extra details of a CONNECTED event (Arbin: the login reply); the reason replaces
   * the default one, the details are added to `outage_ms` and `attempts`.
   */
  connected?(info: { readonly outageMs: number; readonly attempts: number }): { readonly reason?: string; readonly details?: Readonly<Record<string, string>> };
}

/** The shared Kafka side of a collector. */
export class CollectorKit {
  private consumer: DecodingConsumer<Command> | undefined;
  private dispatcher: RoutedCommandDispatcher | undefined;
  private readonly publishFailures;
  private readonly readings: RecordPublisher<ReadingInput>;
  private readonly events: RecordPublisher<DeviceEventInput>;
  private readonly results: RecordPublisher<CommandResultInput>;
  private readonly store: { readonly buffer: RecordBuffer; readonly forwarder: Forwarder } | undefined;
  /** The last failure to store records in the buffer (a full disk...), until a store succeeds again. */
  private storeFailure: string | undefined;

  private constructor(private readonly options: CollectorKitOptions, readonly kafka: Kafka, readonly producer: Producer, private readonly forwardProducer: Producer) {
    const { metrics, topics } = options;
    if (options.buffer !== undefined) {
      const buffer = new RecordBuffer({ path: options.buffer.path, maxBytes: options.buffer.maxBytes, maxAgeMs: options.buffer.maxAgeMs, logger: options.logger, metrics });
      const forwarder = new Forwarder(buffer, (records) => this.sendEncoded(records), { logger: options.logger, metrics });
      forwarder.start();
      this.store = { buffer, forwarder };
    }
    this.readings = new RecordPublisher(producer, topics.readings, readingSerde, metrics);
    this.events = new RecordPublisher(producer, topics.deviceEvents, deviceEventSerde, metrics);
    this.results = new RecordPublisher(producer, topics.commandResults, commandResultSerde, metrics);
    this.publishFailures = metrics.counter({ name: 'busbar_collector_publish_errors_total', help: 'Records the collector failed to publish to Kafka.', labelNames: ['topic'] });
  }

  /**
   * Connects the producer.
   *
   * @throws kafkajs' connection error when no broker answers.
   */
  static async start(options: CollectorKitOptions): Promise<CollectorKit> {
    const kafka = createKafka({ ...options.kafka, clientId: options.kafka.clientId ?? `busbar-${options.service}-${options.instanceId}` }, options.logger, options.metrics);
    const producer = healingProducer(() => kafka.producer(PRODUCER_OPTIONS), { name: 'publish', logger: options.logger, metrics: options.metrics });
    await retryKafkaStartup('producer connect', () => producer.connect(), { logger: options.logger });
    // The store-and-forward buffer's own producer is NOT idempotent: kafkajs cannot recover an
    // idempotent producer the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER after a broker restart
    // (it has no epoch bump, KIP-360), and the forwarder would then never drain (seen in the fault
    // suite's Kafka outage). A retried request can write a record twice — the buffer is
    // at-least-once anyway, and the historian's writes are idempotent. One request in flight keeps
    // the order per partition.
    const forwardProducer = kafka.producer({ ...PRODUCER_OPTIONS, idempotent: false, maxInFlightRequests: 1 });
    if (options.buffer !== undefined) await retryKafkaStartup('forwarding producer connect', () => forwardProducer.connect(), { logger: options.logger });
    return new CollectorKit(options, kafka, producer, forwardProducer);
  }

  /**
   * Publishes readings (keyed by their device id). With store-and-forward, they are appended to the
   * durable buffer (returns at once; the forwarder sends them when Kafka accepts them); without it,
   * they are sent in one request.
   *
   * @returns whether the buffer (or Kafka) took them; a failure is logged and counted
   *   (`busbar_collector_publish_errors_total`) — a poll's readings are not retried, the next poll follows.
   */
  async publishReadings(readings: readonly ReadingInput[]): Promise<boolean> {
    if (this.store !== undefined) return this.buffered(this.readings.topic, readings, (r) => readingSerde.encode(r));
    try {
      await this.readings.publish(readings.map((value) => ({ key: value.device_id, value })));
      return true;
    } catch (err) {
      this.publishFailures.inc({ topic: this.readings.topic });
      this.options.logger.error({ err, records: readings.length }, 'could not publish readings');
      return false;
    }
  }

  /**
   * Publishes readings and throws when Kafka does not acknowledge them — for callers that must not
   * advance (a log backfill cursor) unless the records are stored.
   *
   * @throws kafkajs' error after its retries (counted in `busbar_collector_publish_errors_total`).
   */
  async publishReadingsOrThrow(readings: readonly ReadingInput[]): Promise<void> {
    try {
      await this.readings.publish(readings.map((value) => ({ key: value.device_id, value })));
    } catch (err) {
      this.publishFailures.inc({ topic: this.readings.topic });
      throw err;
    }
  }

  /**
   * Publishes readings through the store-and-forward buffer (same order as the polls' readings) and
   * resolves once Kafka acknowledged all of them; without a buffer, sends them directly
   * ({@link publishReadingsOrThrow}). For background jobs that advance a cursor on the acknowledgement.
   *
   * @throws {BusbarError} `BB_COLLECTOR_BUFFER_UNUSABLE` when they cannot be stored,
   *   `BB_COLLECTOR_NOT_ACKNOWLEDGED` when the buffer dropped them or closed first (counted in
   *   `busbar_collector_publish_errors_total`); kafkajs' error without a buffer.
   */
  async publishReadingsAcknowledged(readings: readonly ReadingInput[]): Promise<void> {
    if (this.store === undefined) return this.publishReadingsOrThrow(readings);
    const topic = this.readings.topic;
    let acked: Promise<void>;
    try {
      acked = this.store.buffer.appendAcknowledged(readings.map((v): BufferedRecord => ({ topic, key: v.device_id, value: readingSerde.encode(v) })));
      this.storeFailure = undefined;
    } catch (err) {
      this.storeFailure = err instanceof Error ? err.message : String(err);
      this.publishFailures.inc({ topic });
      throw err;
    }
    this.store.forwarder.notify();
    try {
      await acked;
    } catch (err) {
      this.publishFailures.inc({ topic });
      throw err;
    }
  }

  /**
   * Publishes a poll's readings, then its device events, directly to Kafka (never through the
   * store-and-forward buffer) and resolves once Kafka acknowledged both — for source-driven
   * modules, whose cursor may advance only then (`ProtocolModule.acknowledge`). Nothing is sent for
   * empty lists.
   *
   * @throws kafkajs' error after its retries (counted in `busbar_collector_publish_errors_total`).
   */
  async publishAcknowledged(readings: readonly ReadingInput[], events: readonly DeviceEventInput[]): Promise<void> {
    if (readings.length > 0) await this.publishReadingsOrThrow(readings);
    if (events.length === 0) return;
    try {
      await this.events.publish(events.map((value) => ({ key: value.device_id, value })));
    } catch (err) {
      this.publishFailures.inc({ topic: this.events.topic });
      throw err;
    }
  }

  /** Publishes a device event; a failure is logged and counted, never thrown. */
  async publishEvent(event: DeviceEventInput): Promise<void> {
    await this.publishEvents([event]);
  }

  /**
   * Publishes device events (keyed by their device id) in one request; nothing is sent for an empty
   * list. A failure is logged and counted (`busbar_collector_publish_errors_total`), never thrown.
   */
  async publishEvents(events: readonly DeviceEventInput[]): Promise<void> {
    if (events.length === 0) return;
    if (this.store !== undefined) {
      this.buffered(this.events.topic, events, (e) => deviceEventSerde.encode(e));
      return;
    }
    try {
      await this.events.publish(events.map((value) => ({ key: value.device_id, value })));
    } catch (err) {
      this.publishFailures.inc({ topic: this.events.topic });
      const first = events[0]!;
      this.options.logger.error({ err, device: first.device_id, kind: first.kind, records: events.length }, 'could not publish device event');
    }
  }

  /**
   * Like {@link publishEvents}, for module activities and background jobs that must know: resolves
   * once the events are in the store-and-forward buffer (or, without a buffer, acknowledged by Kafka).
   *
   * @throws {BusbarError} `BB_COLLECTOR_BUFFER_UNUSABLE` when the buffer cannot take them (counted
   *   and logged as by {@link publishEvents}); kafkajs' error without a buffer.
   */
  async publishEventsOrThrow(events: readonly DeviceEventInput[]): Promise<void> {
    if (events.length === 0) return;
    if (this.store !== undefined) {
      if (!this.buffered(this.events.topic, events, (e) => deviceEventSerde.encode(e))) {
        throw new BusbarError('BB_COLLECTOR_BUFFER_UNUSABLE', `${events.length} device event(s) could not be stored in the store-and-forward buffer: ${this.storeFailure ?? 'unknown cause'}`, { retriable: true });
      }
      return;
    }
    try {
      await this.events.publish(events.map((value) => ({ key: value.device_id, value })));
    } catch (err) {
      this.publishFailures.inc({ topic: this.events.topic });
      throw err;
    }
  }

  /**
   * How forwarding stands, for `/healthz`: `undefined` when all is well, else why the collector is
   * degraded (Kafka does not acknowledge; the oldest buffered record is older than `degradedAfterMs`).
   */
  forwardingProblem(): string | undefined {
    if (this.store === undefined) return undefined;
    if (this.storeFailure !== undefined) return `records cannot be stored in the store-and-forward buffer, polls are being lost: ${this.storeFailure}`;
    const { buffer, forwarder } = this.store;
    const ageMs = buffer.oldestAgeMs();
    if (forwarder.failingSinceMs === undefined && ageMs <= this.options.buffer!.degradedAfterMs) return undefined;
    const why = forwarder.lastErrorMessage === undefined ? 'forwarding is behind' : `Kafka does not acknowledge (${forwarder.lastErrorMessage})`;
    return `${why}: ${buffer.size} records buffered, the oldest ${(ageMs / 1000).toFixed(1)} s old`;
  }

  /** Appends encoded records to the buffer. @returns false (logged, counted) when they could not be encoded or stored. */
  private buffered<T extends { readonly device_id: string }>(topic: string, values: readonly T[], encode: (v: T) => Buffer): boolean {
    try {
      this.store!.buffer.append(values.map((v): BufferedRecord => ({ topic, key: v.device_id, value: encode(v) })));
      this.store!.forwarder.notify();
      this.storeFailure = undefined;
      return true;
    } catch (err) {
      this.storeFailure = err instanceof Error ? err.message : String(err);
      this.publishFailures.inc({ topic });
      this.options.logger.error({ err, code: errorCode(err), records: values.length }, 'could not store records in the store-and-forward buffer');
      return false;
    }
  }

  /**
   * One produce request of buffered records (several topics), acknowledged by all in-sync replicas.
   * The buffer keeps single-object encoding; each record leaves in the deployment's framing
   * (`kafka.avro`), which may wait for the schema id — the records then stay buffered.
   */
  private async sendEncoded(records: readonly BufferedRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (list === undefined) byTopic.set(r.topic, (list = []));
      const value = r.topic === this.readings.topic ? await this.readings.frame(r.value, (b) => readingSerde.decode(b) as unknown as ReadingInput)
        : r.topic === this.events.topic ? await this.events.frame(r.value, (b) => deviceEventSerde.decode(b) as unknown as DeviceEventInput)
        : r.value;
      list.push({ key: r.key, value });
    }
    await this.forwardProducer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }

  /**
   * Publishes a command result.
   *
   * @throws kafkajs' error (counted): the routed-commands pipeline keeps the result pending and publishes it on redelivery.
   */
  async publishResult(result: CommandResultInput): Promise<void> {
    try {
      await this.results.publish([{ key: result.device_id, value: result }]);
    } catch (err) {
      this.publishFailures.inc({ topic: this.results.topic });
      throw err;
    }
  }

  /**
   * The connection half of a device's {@link SupervisorEvents}: CONNECTED (with the outage duration
   * after a reconnection, `details.outage_ms` and `details.attempts`) and DISCONNECTED (with the
   * error's code) events.
   *
   * @param options - a collector's own CONNECTED reason and details, see {@link ConnectionEventOptions}.
   */
  connectionEvents(deviceId: string, options: ConnectionEventOptions = {}): Pick<SupervisorEvents<unknown>, 'onConnected' | 'onDisconnected'> {
    const protocol = this.options.protocol;
    return {
      onConnected: ({ outageMs, attempts }) => {
        const own = options.connected?.({ outageMs, attempts });
        return this.publishEvent({
          event_id: randomUUID(), device_id: deviceId, protocol, timestamp: new Date(), kind: 'CONNECTED', state: 'connected',
          reason: own?.reason ?? (outageMs > 0 ? `reconnected after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected'),
          details: { outage_ms: String(outageMs), attempts: String(attempts), ...own?.details },
        });
      },
      onDisconnected: ({ error, code }) =>
        this.publishEvent({ event_id: randomUUID(), device_id: deviceId, protocol, timestamp: new Date(), kind: 'DISCONNECTED', state: 'disconnected', reason: error instanceof Error ? error.message : String(error), error_code: code }),
    };
  }

  /**
   * Starts consuming `topics.deviceCommands` in the group `busbar-<service>-<instanceId>` and runs the
   * commands for the devices this process owns through a {@link CommandPipeline} (one outcome each,
   * published even if a publish fails and the batch is redelivered), in order, except the
   * concurrent ones (see {@link RoutedCommandDispatcher}).
   *
   * A group that has no committed offset yet (a new `instanceId`) reads the topic from its beginning,
   * so a command routed before this collector first joined is not lost; to answer none twice, the
   * ids already answered within the command lifetime are first read back from the results topic
   * (as the commander does). Commands that expired unanswered get their EXPIRED result.
   */
  async consumeRoutedCommands(options: RoutedCommandsOptions): Promise<void> {
    const o = this.options;
    const lifetimeMs = options.executor.maxLifetimeMs;
    const remembered = await readTopicToEnd({ kafka: this.kafka, topic: o.topics.commandResults, decoder: commandResultSerde, sinceMs: Date.now() - lifetimeMs - REPLAY_MARGIN_MS, logger: o.logger }, (r) => {
      // a refusal before admission (a forged or malformed command) does not answer its id: skipped
      if (answersCommandId(r)) options.executor.remember(r.command_id, Date.now() + lifetimeMs);
    });
    o.logger.info({ remembered }, 'command ids already answered were loaded from the results topic');
    const pipeline = new CommandPipeline(options.executor, { publishResult: decoratedResultSink((result) => this.publishResult(result), options.decorate) });
    const dispatcher = new RoutedCommandDispatcher({
      owns: (id) => options.owns(id),
      concurrent: (cmd) => options.concurrent?.(cmd) ?? false,
      orderAfterConcurrent: options.orderAfterConcurrent ?? false,
      run: (cmd) => pipeline.process(cmd),
      logger: o.logger,
    });
    this.dispatcher = dispatcher;
    this.consumer = new DecodingConsumer<Command>({
      kafka: this.kafka,
      producer: this.producer,
      groupId: `busbar-${o.service}-${o.instanceId}`,
      topic: o.topics.deviceCommands,
      fromBeginning: true,
      decoder: commandSerde,
      deadLetter: { topic: o.topics.deadLetter, encoder: deadLetterSerde },
      logger: o.logger,
      metrics: o.metrics,
      handle: (records) => dispatcher.handle(records.map((r) => r.value)),
    });
    await this.consumer.start();
  }

  /**
   * Stops consuming routed commands. Concurrent commands still in flight (set-points waiting for
   * their pacing slot) are not awaited here: stop the device runners first — they put channels to
   * rest and end what is pending — then {@link close} drains the rest.
   */
  async stopCommands(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    await c?.stop();
  }

  /** Waits for the concurrent commands in flight, then flushes and disconnects the producer (after the devices stopped). */
  async close(): Promise<void> {
    await this.stopCommands();
    await this.dispatcher?.drain();
    if (this.store !== undefined) {
      await this.store.forwarder.stop(); // forwards what it can in a few seconds; the rest stays on disk
      this.store.buffer.close();
      await this.forwardProducer.disconnect();
    }
    await this.producer.disconnect();
  }
}
