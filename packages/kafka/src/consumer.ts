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
 *   a dead letter (`BB_AVRO_UNKNOWN_SCHEMA_ID`);
 * - exactly once, for a handler that produces (the alerter): it may commit the batch's offsets
 *   itself in a Kafka transaction with what it produced (`control.nextOffset`, `control.groupId`,
 *   `sendOffsets`) and return `{ committed: true }`; the consumer then only moves on.
 */
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, Producer } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, isBusbarError, noopLogger, noopMetrics, sleep } from '@busbar/core';
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
  /** The record's headers as UTF-8 text (the first value of a repeated header); absent when it has none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a handler may do while it works on a batch. */
export interface BatchControl {
  /** Tells the group coordinator this member is alive (call at least every few seconds while waiting). */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition was revoked: stop waiting, throw or return. */
  isRunning(): boolean;
  /** The consumer group of the batch (for a transaction's `sendOffsets`). */
  readonly groupId: string;
  /**
   * The offset to commit once the batch is handled (its last offset + 1), for a handler that
   * commits it itself inside a Kafka transaction (`sendOffsets`) and then returns `{ committed: true }`.
   */
  readonly nextOffset: { readonly topic: string; readonly partition: number; readonly offset: string };
  /**
   * Commits the partition's progress now, up to and including `offset` (one of the batch's
   * offsets): for a handler whose work per record cannot be undone (a sent mail), so that a crash
   * mid-batch replays only what was not done yet.
   * @throws kafkajs' error when the commit fails (the partition was revoked: stop and throw).
   */
  commit(offset: string): Promise<void>;
  /**
   * Commits the partition's progress up to and including `offset` WITHOUT moving the fetch
   * position: for a handler that returned `{ committed: true }` before its records were done (the
   * alerter's grouped channels hold records for `group_wait`) and commits them later, after later
   * batches were fetched. {@link BatchControl.commit} also marks the offset resolved, and kafkajs
   * fetches from the last resolved offset (`offsetManager.nextOffset`, kafkajs 2.2): called after
   * the batch returned with an older offset, it would move the fetch back and the records after it
   * would be fetched again. The caller commits offsets in increasing order, and only of partitions
   * it still owns (after `onAssignment`).
   * @throws kafkajs' error when the commit fails (not a member of the generation any more);
   *   `BB_KAFKA_CONSUMER_STOPPED` once the consumer stopped.
   */
  commitLater(offset: string): Promise<void>;
}

/**
 * What a handler returns: nothing (the consumer commits the batch's offsets), or `{ committed: true }`
 * when the handler committed them itself, atomically with what it produced (a Kafka transaction
 * with `sendOffsets`: read-process-write exactly once).
 */
export type BatchOutcome = void | { readonly committed: true };

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
  /** Processes a batch; offsets are committed after it resolves (by the consumer, or by the handler when it returns `{ committed: true }`). */
  readonly handle: (records: ConsumedRecord<T>[], control: BatchControl) => Promise<BatchOutcome>;
  /** Max bytes fetched per partition per request (default 1 MiB): bounds a batch. */
  readonly maxBytesPerPartition?: number;
  /**
   * Session timeout, ms (default {@link DEFAULT_SESSION_TIMEOUT_MS}, 10 s): a member that sends no
   * heartbeat for this long (killed, frozen) loses its partitions to the others. A member that
   * stops cleanly leaves the group at once (`stop()`), whatever this is.
   */
  readonly sessionTimeoutMs?: number;
  /**
   * The handler commits each batch itself when its records are done, possibly long after it returned
   * (`BatchControl.commitLater`; it returns `{ committed: true }` at once): the consumer never commits
   * on its own, and a batch whose records all went to the dead-letter topic is handed to the handler
   * EMPTY (`records` = `[]`, `control.nextOffset` past it), so that it commits past it only when it
   * holds nothing earlier of that partition. Default false.
   */
  readonly deferredCommits?: boolean;
  /**
   * Longest wait of a fetch for new records, ms (default {@link DEFAULT_MAX_WAIT_TIME_MS}, 1 s):
   * also bounds how long `stop()` waits for the fetch in flight before it leaves the group.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Batches of different partitions handled at the same time (default 1; kafkajs
   * `partitionsConsumedConcurrently`): a handler waiting on its sink no longer holds the others up.
   * Each partition still gets its batches in order, one at a time, committed after its handler resolved.
   */
  readonly partitionsConcurrently?: number;
  /** Interval of the consumer's background heartbeats, ms (default {@link DEFAULT_HEARTBEAT_INTERVAL_MS}, 1 s; below a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
  /**
   * Interval of the lag update, ms (default {@link DEFAULT_LAG_INTERVAL_MS}, 5 s):
   * `busbar_kafka_consumer_lag_records{topic,partition}` is set for each partition assigned to this
   * member from the group's committed offset and the partition's high watermark (read with the
   * admin API), whether or not batches arrive; a partition that leaves this member is set to 0.
   */
  readonly lagIntervalMs?: number;
  /**
   * Called when this member may be losing its partitions: a rebalance starts (kafkajs' REBALANCING),
   * the consumer crashed, or it stops. A caller that works on its partitions between batches (the
   * alerter's timer tick) stops until the next `onAssignment`.
   */
  readonly onRevoked?: () => void;
  /**
   * Called after each join of the group (start, every rebalance) with the partitions of `topic`
   * now assigned to this member — before any batch of the new assignment is handled. A handler
   * that keeps per-partition state reloads it here (see the alerter's rule state). `byTopic`: the
   * partitions of every topic this member consumes (`topic` and `moreTopics`).
   */
  readonly onAssignment?: (partitions: readonly number[], byTopic: ReadonlyMap<string, readonly number[]>) => void;
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

/** Default session timeout of a {@link DecodingConsumer}, ms. */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
/** Default interval of a {@link DecodingConsumer}'s background heartbeats, ms. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Default longest wait of a {@link DecodingConsumer}'s fetch, ms (kafkajs' own default is 5 s). */
export const DEFAULT_MAX_WAIT_TIME_MS = 1000;
/** Default interval of a {@link DecodingConsumer}'s lag update, ms. */
export const DEFAULT_LAG_INTERVAL_MS = 5000;

/** What a consumer group member knows of itself, for readiness (`/readyz`). */
export interface ConsumerStatus {
  /** True once the member joined its group and while it is a member (false while stopped or after a fatal crash). */
  readonly joined: boolean;
  /** Partitions of the topic assigned to this member at its last join. */
  readonly partitions: readonly number[];
  /** Why the member is not usable, if it is not: the crash, or the last failed lag update (Kafka unreachable). */
  readonly problem: string | undefined;
}

/** One dependency check as `/readyz` shows it (the shape of `@busbar/runtime`'s `ReadinessCheck`). */
export interface DependencyCheck {
  readonly ok: boolean;
  readonly reason?: string;
  readonly code?: string;
}

/**
 * Follows a producer's connection (kafkajs `producer.connect` / `producer.disconnect` events) for
 * `/readyz`. Brokers that stop answering while the producer is connected show up in the
 * consumers' check (their lag update fails) and in the publish errors.
 *
 * @returns the check, evaluated at each call.
 */
export function watchProducer(producer: Producer): () => DependencyCheck {
  let connected = false;
  producer.on(producer.events.CONNECT, () => {
    connected = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });
  return () => (connected ? { ok: true } : { ok: false, reason: 'producer not connected' });
}

/** A running consumer group member for one topic (or several, `moreTopics`). */
export class DecodingConsumer<T> {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lagInFlight = false;
  /** Partitions assigned to this member at its last join, per topic. */
  private assigned = new Map<string, readonly number[]>();
  private joined = false;
  private crashed: string | undefined;
  private lagProblem: string | undefined;
  /** Offsets already dead-lettered per topic-partition (`topic:partition`) and not yet committed: a redelivered batch does not dead-letter them twice. */
  private readonly deadLettered = new Map<string, Set<string>>();
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
    this.lag = m.gauge({ name: 'busbar_kafka_consumer_lag_records', help: 'Records behind the high watermark, per partition assigned to this member (updated periodically from the committed offsets, and after each batch).', labelNames: ['topic', 'partition'] });
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
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      heartbeatInterval: o.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: o.maxWaitTimeMs ?? DEFAULT_MAX_WAIT_TIME_MS,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      for (const topic of this.decoders.keys()) {
        const now = e.payload.memberAssignment[topic] ?? [];
        for (const p of this.assigned.get(topic) ?? []) if (!now.includes(p)) this.lag.set({ topic, partition: p }, 0);
        this.assigned.set(topic, [...now].sort((a, b) => a - b));
      }
      this.joined = true;
      this.crashed = undefined;
      this.log.info({ partitions: Object.fromEntries(this.assigned), durationMs: e.payload.duration }, 'joined the consumer group');
      o.onAssignment?.(this.assigned.get(o.topic) ?? [], new Map(this.assigned));
    });
    consumer.on(consumer.events.REBALANCING, () => o.onRevoked?.());
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      o.onRevoked?.();
      if (!e.payload.restart) this.crashed = e.payload.error.message;
    });
    const retry = { ...o.startupRetry, logger: this.log };
    const topics = [...this.decoders.keys()];
    const admin = o.kafka.admin();
    this.admin = admin;
    await retryKafkaStartup(`connect the admin client of ${topics.join(', ')}`, () => admin.connect(), retry);
    await retryKafkaStartup(`connect consumer of ${topics.join(', ')}`, () => consumer.connect(), retry);
    await retryKafkaStartup(`subscribe to ${topics.join(', ')}`, () => consumer.subscribe({ topics, fromBeginning: o.fromBeginning ?? true }), retry);
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: o.partitionsConcurrently ?? 1, eachBatch: (payload) => this.onBatch(payload) });
    this.lagTimer = setInterval(() => void this.updateLag(), o.lagIntervalMs ?? DEFAULT_LAG_INTERVAL_MS);
    this.lagTimer.unref();
  }

  /**
   * Leaves the group at once (a LeaveGroup request: the other members take the partitions over
   * without waiting for the session timeout): the batch in progress finishes (or sees
   * `isRunning()` false), then the consumer disconnects.
   */
  async stop(): Promise<void> {
    const c = this.consumer;
    const a = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    clearInterval(this.lagTimer);
    this.joined = false;
    this.options.onRevoked?.();
    if (c) await c.disconnect();
    await a?.disconnect().catch((err: unknown) => this.log.warn({ err: String(err) }, 'admin client did not disconnect cleanly'));
  }

  /** Membership and the last problem seen, for `/readyz`. */
  status(): ConsumerStatus {
    const problem = this.crashed !== undefined ? `consumer crashed: ${this.crashed}` : this.lagProblem;
    return { joined: this.joined && this.consumer !== undefined, partitions: this.assigned.get(this.options.topic) ?? [], problem };
  }

  /**
   * The `/readyz` check of this member: usable when it is in its group and Kafka answers the lag
   * update (a member with no partition assigned is ready: the group has more members than partitions).
   */
  readiness(): DependencyCheck {
    const st = this.status();
    if (st.problem !== undefined) return { ok: false, reason: `${this.options.topic}: ${st.problem}` };
    if (!st.joined) return { ok: false, reason: `${this.options.topic}: not (yet) a member of group ${this.options.groupId}` };
    return { ok: true, reason: `group ${this.options.groupId}, partitions [${st.partitions.join(', ')}] of ${this.options.topic}` };
  }

  /**
   * Sets the lag of the partitions assigned to this member: high watermark minus the group's
   * committed offset (the low watermark when the group has none). One update at a time; a failure
   * is logged, kept for {@link status} and retried at the next interval.
   */
  private async updateLag(): Promise<void> {
    const admin = this.admin;
    if (!admin || this.lagInFlight) return;
    this.lagInFlight = true;
    try {
      const topics = [...this.decoders.keys()];
      const [ends, committed] = await Promise.all([Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))), admin.fetchOffsets({ groupId: this.options.groupId, topics })]);
      topics.forEach((topic, i) => {
        const assigned = this.assigned.get(topic) ?? [];
        const done = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        for (const e of ends[i] ?? []) {
          if (!assigned.includes(e.partition)) continue;
          const at = done.get(e.partition) ?? -1n;
          const from = at >= 0n ? at : BigInt(e.low);
          const lag = BigInt(e.high) - from;
          this.lag.set({ topic, partition: e.partition }, Number(lag > 0n ? lag : 0n));
        }
      });
      if (this.lagProblem !== undefined) this.log.info({}, 'Kafka answers the lag update again');
      this.lagProblem = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.lagProblem === undefined) this.log.warn({ err: message }, 'cannot read the group\'s offsets for the lag update');
      this.lagProblem = `Kafka offsets unreadable: ${message}`;
    } finally {
      this.lagInFlight = false;
    }
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
    // keyed by topic and partition: with `moreTopics`, partition 0 of two topics are two logs
    const deadKey = `${batch.topic}:${batch.partition}`;
    const alreadyDead = this.deadLettered.get(deadKey) ?? new Set<string>();
    this.deadLettered.set(deadKey, alreadyDead);
    const running = (): boolean => isRunning() && !isStale();
    const decoder = this.decoders.get(batch.topic)!;
    if (decoder.prepare !== undefined) await this.prepare(decoder, batch.topic, batch.messages.map((m) => m.value), heartbeat, running);
    for (const m of batch.messages) {
      const payload = m.value ?? Buffer.alloc(0);
      if (alreadyDead.has(m.offset)) continue;
      try {
        const headers = headersOf(m.headers);
        good.push({ value: decoder.decode(payload), key: m.key ? m.key.toString('utf8') : null, topic: batch.topic, partition: batch.partition, offset: m.offset, kafkaTimestampMs: Number(m.timestamp), ...(headers ? { headers } : {}) });
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
    const last = batch.messages[batch.messages.length - 1]!;
    const nextOffset = { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() };
    let committedByHandler = false;
    // a handler with deferred commits sees every batch, even one whose records all went to the
    // dead-letter topic: only it knows whether records before them still wait in hand
    if (good.length > 0 || o.deferredCommits === true) {
      const started = performance.now();
      const commit = async (offset: string): Promise<void> => {
        if (!consumer) throw new BusbarError('BB_KAFKA_CONSUMER_STOPPED', `consumer of ${batch.topic} stopped: offset ${offset} not committed`, { retriable: true });
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(offset) + 1n).toString() }]);
        resolveOffset(offset);
      };
      const commitLater = async (offset: string): Promise<void> => {
        if (!consumer || this.consumer !== consumer) throw new BusbarError('BB_KAFKA_CONSUMER_STOPPED', `consumer of ${batch.topic} stopped: offset ${offset} not committed`, { retriable: true });
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(offset) + 1n).toString() }]);
      };
      const outcome = await o.handle(good, { heartbeat, isRunning: running, groupId: o.groupId, nextOffset, commit, commitLater });
      committedByHandler = outcome !== undefined && outcome.committed;
      this.handleSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
      this.recordsIn.inc({ topic: batch.topic }, good.length);
      this.batchSize.observe({ topic: batch.topic }, good.length);
    }
    // The handler returned: its work is done, so commit — also while stopping (a graceful stop
    // commits the batch in progress). A handler that gave up threw instead, and nothing is committed.
    if (isStale() || !consumer) return;
    resolveOffset(last.offset);
    try {
      if (!committedByHandler && o.deferredCommits !== true) await consumer.commitOffsets([nextOffset]);
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

/** A message's headers as text: the first value of each, UTF-8; `undefined` when there are none. */
function headersOf(h: IHeaders | undefined): Record<string, string> | undefined {
  if (h === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
