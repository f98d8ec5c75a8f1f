/**
 * A compacted topic held in memory: the latest value of every key, per partition, kept up to date
 * by tailing the topic — for a service that keeps durable state in Kafka (the alerter's rule state,
 * one record per series, written by the partition's owner as episodes change).
 *
 * The table reads every partition from the beginning in a throw-away consumer group of its own
 * (nothing committed) and keeps following it. {@link CompactedTable.catchUp} waits until the table
 * has read a partition up to the end offset it has *now*, so a caller that just took a partition
 * over sees everything the partition's previous owner wrote before it let the partition go.
 *
 * Transactional writers: the table reads committed records only (kafkajs' default isolation), so a
 * writer's aborted transaction never shows; a transaction still open holds `catchUp` until it
 * commits or is aborted (by its writer, or by the broker after the transaction timeout).
 *
 * A record with an empty value (a tombstone) deletes its key. A record whose key or value does not
 * decode is skipped and logged (compaction will drop it once the key is written again).
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@busbar/core';
import { BusbarError, noopLogger, sleep } from '@busbar/core';
import { retryKafkaStartup } from './startup.js';
import type { StartupRetryOptions } from './startup.js';

/** Options of {@link CompactedTable}. */
export interface CompactedTableOptions<V> {
  readonly kafka: Kafka;
  /** The compacted topic (created by the caller, e.g. with `ensureTopics`). */
  readonly topic: string;
  /**
   * Decodes one record's value (never called for a tombstone).
   * @throws anything: the record is skipped and logged.
   */
  readonly decode: (key: string, value: Buffer) => V;
  /** Longest wait of {@link CompactedTable.start} and {@link CompactedTable.catchUp}, ms (default 60 000). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** Retry of Kafka's retriable errors while connecting and joining (see `retryKafkaStartup`). */
  readonly startupRetry?: Omit<StartupRetryOptions, 'logger'>;
}

/** The in-memory image of a compacted topic; see the module documentation. */
export class CompactedTable<V> {
  private readonly rows = new Map<number, Map<string, V>>();
  /** Next offset to read, per partition (what the table has applied). */
  private readonly position = new Map<number, bigint>();
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private failed: Error | undefined;
  private waiters = new Set<() => void>();

  /** @param options - see {@link CompactedTableOptions}. */
  constructor(private readonly options: CompactedTableOptions<V>) {
    this.log = (options.logger ?? noopLogger).child({ table: options.topic });
  }

  /**
   * Starts tailing the topic and resolves once every partition was read up to its end offset at
   * the time of the call.
   *
   * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when that takes longer than `timeoutMs`;
   *   kafkajs' error when connecting or joining fails for good.
   */
  async start(): Promise<void> {
    const o = this.options;
    const retry = { ...o.startupRetry, logger: this.log };
    const admin = o.kafka.admin();
    this.admin = admin;
    await retryKafkaStartup(`connect the admin client of ${o.topic}`, () => admin.connect(), retry);
    const consumer = o.kafka.consumer({ groupId: `busbar-table-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 1000 });
    this.consumer = consumer;
    await retryKafkaStartup(`connect the table consumer of ${o.topic}`, () => consumer.connect(), retry);
    await retryKafkaStartup(`subscribe to ${o.topic}`, () => consumer.subscribe({ topic: o.topic, fromBeginning: true }), retry);
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      if (!e.payload.restart) this.failed = err;
      this.log.warn({ err: err.message, restart: e.payload.restart }, 'table consumer crashed');
      this.wakeAll();
    });
    // A batch of only transaction markers or aborted records (a transactional writer: the alerter's
    // rule state) reaches no eachBatch: kafkajs reports its last offset here, so the table moves past it.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      if (e.payload.topic !== o.topic || e.payload.batchSize !== 0) return;
      const next = BigInt(e.payload.lastOffset) + 1n;
      if (next > (this.position.get(e.payload.partition) ?? 0n)) this.position.set(e.payload.partition, next);
      this.wakeAll();
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const rows = this.rowsOf(batch.partition);
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8');
          if (key === undefined) continue;
          if (m.value === null || m.value.length === 0) {
            rows.delete(key);
            continue;
          }
          try {
            rows.set(key, o.decode(key, m.value));
          } catch (err) {
            this.log.warn({ partition: batch.partition, offset: m.offset, key, err: err instanceof Error ? err.message : String(err) }, 'table record does not decode; skipped');
          }
        }
        // the batch's last offset covers compacted gaps
        this.position.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
        this.wakeAll();
        return Promise.resolve();
      },
    });
    await this.catchUp();
  }

  /**
   * Waits until the table has applied every record written to `partitions` (default: all) before
   * this call — their end offsets are read first.
   *
   * @param signal - aborting stops the wait (it then throws the abort reason).
   * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` after `timeoutMs`, or when the table's
   *   consumer crashed for good; kafkajs' error when the end offsets cannot be read (retried while
   *   Kafka marks the error retriable, up to `timeoutMs`).
   */
  async catchUp(partitions?: readonly number[], signal?: AbortSignal): Promise<void> {
    const admin = this.admin;
    if (!admin) throw new BusbarError('BB_KAFKA_REPLAY_INCOMPLETE', `table ${this.options.topic} is not started`);
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    // a topic just created may answer "not the leader for that topic-partition" for a while
    const offsets = await retryKafkaStartup(`read the end offsets of ${this.options.topic}`, () => admin.fetchTopicOffsets(this.options.topic), { ...this.options.startupRetry, maxElapsedMs: timeoutMs, logger: this.log, signal });
    const wanted = new Set(partitions ?? offsets.map((o) => o.partition));
    const ends = offsets.filter((o) => wanted.has(o.partition)).map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
    const deadline = Date.now() + timeoutMs;
    const behind = (): number[] => ends.filter((e) => e.high > e.low && (this.position.get(e.partition) ?? 0n) < e.high).map((e) => e.partition);
    for (;;) {
      if (this.failed) throw new BusbarError('BB_KAFKA_REPLAY_INCOMPLETE', `table ${this.options.topic} stopped reading: ${this.failed.message}`, { cause: this.failed, context: { topic: this.options.topic } });
      const left = behind();
      if (left.length === 0) return;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new BusbarError('BB_KAFKA_REPLAY_INCOMPLETE', `table ${this.options.topic} did not reach the end of partition(s) ${left.join(', ')} within ${timeoutMs} ms`, { context: { topic: this.options.topic, timeoutMs } });
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        void sleep(Math.min(remaining, 250)).then(wake);
      });
    }
  }

  /** Why the table stopped following its topic (its consumer crashed for good), or `undefined` while it follows it. */
  problem(): string | undefined {
    if (this.failed) return `stopped reading ${this.options.topic}: ${this.failed.message}`;
    return this.consumer === undefined ? `not following ${this.options.topic}` : undefined;
  }

  /** The current rows of one partition: key → decoded value (a copy). */
  entries(partition: number): Map<string, V> {
    return new Map(this.rows.get(partition));
  }

  /** The current value of `key` in whichever partition holds it, or `undefined` (no copy: a lookup per call). */
  get(key: string): V | undefined {
    for (const rows of this.rows.values()) {
      const v = rows.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Stops tailing and disconnects. */
  async stop(): Promise<void> {
    const c = this.consumer;
    const a = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.all([
      c?.disconnect().catch((err: unknown) => this.log.warn({ err: String(err) }, 'table consumer did not disconnect cleanly')),
      a?.disconnect().catch((err: unknown) => this.log.warn({ err: String(err) }, 'table admin client did not disconnect cleanly')),
    ]);
  }

  private rowsOf(partition: number): Map<string, V> {
    let rows = this.rows.get(partition);
    if (!rows) {
      rows = new Map();
      this.rows.set(partition, rows);
    }
    return rows;
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }
}
