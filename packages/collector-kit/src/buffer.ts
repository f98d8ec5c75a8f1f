/**
 * Store-and-forward for collectors: polling never waits on Kafka. Encoded records are appended to a
 * bounded, durable on-disk buffer (SQLite, through Node's built-in `node:sqlite`; WAL journal, so a
 * record the buffer acknowledged survives a `kill -9` of the process) and a {@link Forwarder} sends
 * them to Kafka in order, deleting them only after Kafka acknowledged them.
 *
 * Guarantees (what the tests check): records are forwarded in the order they were appended (so one
 * device's records keep their order within its partition); a record is deleted only after Kafka
 * acknowledged it, so a crash between the two forwards it again after the restart (at least once;
 * the historian's writes are idempotent); when the buffer exceeds its byte bound or a record its
 * age bound, the oldest records are dropped and counted (`busbar_collector_buffer_dropped_total`).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, noopLogger, noopMetrics, sleep, systemClock } from '@busbar/core';

/** One encoded record as Kafka will get it. */
export interface BufferedRecord {
  readonly topic: string;
  /** Partition key (the device id). */
  readonly key: string;
  /** The encoded value (Avro with its framing). */
  readonly value: Buffer;
}

/** A record read back from the buffer, with its position. */
export interface StoredRecord extends BufferedRecord {
  /** Position in the buffer (increasing in append order). */
  readonly seq: number;
  /** When it was appended, ms since the epoch. */
  readonly atMs: number;
}

/** Options of {@link RecordBuffer}. */
export interface RecordBufferOptions {
  /** SQLite file (created with its folder); `:memory:` for a buffer that does not survive the process. */
  readonly path: string;
  /** Upper bound of the stored keys and values, bytes; beyond it the oldest records are dropped. */
  readonly maxBytes: number;
  /** Upper bound of a record's age, ms; older records are dropped. */
  readonly maxAgeMs: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Why records were dropped (the `reason` label). */
type DropReason = 'bytes' | 'age';

/** A caller waiting for Kafka's acknowledgement of the records `first`..`last` (see {@link RecordBuffer.appendAcknowledged}). */
interface AckWaiter {
  readonly first: number;
  readonly last: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * A bounded FIFO of encoded records on disk.
 *
 * @throws {BusbarError} `BB_COLLECTOR_BUFFER_UNUSABLE` from the constructor when the file cannot be
 *   opened or is not a buffer of this format.
 */
export class RecordBuffer {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly select: StatementSync;
  private readonly deleteUpTo: StatementSync;
  private readonly head: StatementSync;
  private readonly rangeTotals: StatementSync;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly m;
  private count = 0;
  private bytes = 0;
  /** The highest position ever dropped (drops only ever take the head). */
  private droppedThrough = 0;
  private readonly waiters = new Set<AckWaiter>();

  /** @param options - see {@link RecordBufferOptions}. */
  constructor(private readonly options: RecordBufferOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      records: metrics.gauge({ name: 'busbar_collector_buffer_records', help: 'Records waiting in the store-and-forward buffer.' }),
      bytes: metrics.gauge({ name: 'busbar_collector_buffer_bytes', help: 'Bytes (keys and values) waiting in the store-and-forward buffer.' }),
      oldest: metrics.gauge({ name: 'busbar_collector_buffer_oldest_age_seconds', help: 'Age of the oldest record waiting in the store-and-forward buffer (0 when empty).' }),
      dropped: metrics.counter({ name: 'busbar_collector_buffer_dropped_total', help: 'Records dropped from the store-and-forward buffer before Kafka took them, by reason (bytes, age).', labelNames: ['reason'] }),
    };
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new DatabaseSync(options.path);
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      this.db.exec('CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, at_ms INTEGER NOT NULL)');
      const totals = this.db.prepare('SELECT count(*) AS n, coalesce(sum(length(CAST(key AS BLOB)) + length(value)), 0) AS b FROM records').get() as { n: number; b: number };
      this.count = Number(totals.n);
      this.bytes = Number(totals.b);
    } catch (cause) {
      throw new BusbarError('BB_COLLECTOR_BUFFER_UNUSABLE', `store-and-forward buffer ${options.path} cannot be used: ${(cause as Error).message}`, { cause, context: { path: options.path } });
    }
    this.insert = this.db.prepare('INSERT INTO records (topic, key, value, at_ms) VALUES (?, ?, ?, ?)');
    this.select = this.db.prepare('SELECT seq, topic, key, value, at_ms FROM records ORDER BY seq LIMIT ?');
    this.deleteUpTo = this.db.prepare('DELETE FROM records WHERE seq <= ?');
    this.head = this.db.prepare('SELECT seq, at_ms FROM records ORDER BY seq LIMIT 1');
    this.rangeTotals = this.db.prepare('SELECT count(*) AS n, coalesce(sum(length(CAST(key AS BLOB)) + length(value)), 0) AS b FROM records WHERE seq <= ?');
    this.enforceBounds();
    this.updateGauges();
    if (this.count > 0) this.log.info({ records: this.count, bytes: this.bytes }, 'store-and-forward buffer holds records from before the restart; forwarding them first');
  }

  /** Records waiting. */
  get size(): number {
    return this.count;
  }

  /** Bytes waiting (keys and values). */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Age of the oldest record, ms (0 when empty). */
  oldestAgeMs(): number {
    if (this.count === 0) return 0;
    const row = this.head.get() as { at_ms: number } | undefined;
    return row === undefined ? 0 : Math.max(0, this.clock.nowMs() - Number(row.at_ms));
  }

  /**
   * Appends records in one transaction (durable when it returns), then enforces the bounds.
   *
   * @throws {BusbarError} `BB_COLLECTOR_BUFFER_UNUSABLE` when the disk write fails (disk full...).
   */
  append(records: readonly BufferedRecord[]): void {
    this.appendRange(records);
  }

  /**
   * Appends records like {@link append} and resolves once the forwarder's sends that include the
   * last of them were acknowledged by Kafka — for callers that must not advance (a log backfill
   * cursor) before the records are in Kafka.
   *
   * @throws {BusbarError} `BB_COLLECTOR_BUFFER_UNUSABLE` (synchronously) when they cannot be stored.
   * @returns rejects with `BB_COLLECTOR_NOT_ACKNOWLEDGED` when any of them is dropped (byte/age bound,
   *   also by this very append) or the buffer is closed before Kafka acknowledged them.
   */
  appendAcknowledged(records: readonly BufferedRecord[]): Promise<void> {
    const range = this.appendRange(records);
    if (range === undefined) return Promise.resolve();
    if (this.droppedThrough >= range.first) return Promise.reject(this.notAcknowledged(`dropped from the store-and-forward buffer ${this.options.path} (bound reached) before Kafka took them`));
    return new Promise<void>((resolve, reject) => {
      this.waiters.add({ ...range, resolve, reject });
    });
  }

  private notAcknowledged(why: string): BusbarError {
    return new BusbarError('BB_COLLECTOR_NOT_ACKNOWLEDGED', `records were not acknowledged by Kafka: ${why}`, { retriable: true });
  }

  /** Appends in one transaction. @returns the positions given to the records (none for an empty list). */
  private appendRange(records: readonly BufferedRecord[]): { first: number; last: number } | undefined {
    if (records.length === 0) return undefined;
    const at = this.clock.nowMs();
    let first = 0;
    let last = 0;
    try {
      this.db.exec('BEGIN');
      for (const r of records) {
        last = Number(this.insert.run(r.topic, r.key, r.value, at).lastInsertRowid);
        if (first === 0) first = last;
      }
      this.db.exec('COMMIT');
    } catch (cause) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // no transaction left to roll back
      }
      throw new BusbarError('BB_COLLECTOR_BUFFER_UNUSABLE', `could not append to the store-and-forward buffer ${this.options.path}: ${(cause as Error).message}`, { cause, context: { path: this.options.path } });
    }
    this.count += records.length;
    for (const r of records) this.bytes += Buffer.byteLength(r.key) + r.value.length;
    this.enforceBounds();
    this.updateGauges();
    return { first, last };
  }

  /** The oldest records, at most `limit`, in append order. */
  peek(limit: number): StoredRecord[] {
    return (this.select.all(limit) as { seq: number; topic: string; key: string; value: Uint8Array; at_ms: number }[]).map((r) => ({
      seq: Number(r.seq), topic: r.topic, key: r.key, value: Buffer.from(r.value), atMs: Number(r.at_ms),
    }));
  }

  /** Deletes every record up to `seq` (inclusive): Kafka acknowledged them. */
  acknowledge(records: readonly StoredRecord[]): void {
    if (records.length === 0) return;
    const last = records[records.length - 1]!.seq;
    this.removeUpTo(last); // counts what is still there: a drop may have removed part of the batch meanwhile
    this.updateGauges();
    for (const w of this.waiters) {
      if (w.last > last) continue;
      this.waiters.delete(w);
      w.resolve();
    }
  }

  /** Closes the file (records stay for the next start); callers still waiting for an acknowledgement are rejected. Idempotent. */
  close(): void {
    for (const w of this.waiters) w.reject(this.notAcknowledged('the collector stopped first (the records stay buffered for the next start)'));
    this.waiters.clear();
    if (this.db.isOpen) this.db.close();
  }

  private enforceBounds(): void {
    // records are appended in time order: only the head can be too old (no table scan per append)
    const ageLimit = this.clock.nowMs() - this.options.maxAgeMs;
    for (;;) {
      const head = this.head.get() as { seq: number; at_ms: number } | undefined;
      if (head === undefined || Number(head.at_ms) >= ageLimit) break;
      const cut = this.db.prepare('SELECT max(seq) AS s FROM (SELECT seq FROM records WHERE seq >= ? AND at_ms < ? ORDER BY seq LIMIT 1000)').get(Number(head.seq), ageLimit) as { s: number | null };
      if (cut.s === null) break;
      this.drop('age', Number(cut.s));
    }
    while (this.bytes > this.options.maxBytes && this.count > 0) {
      // drop the oldest tenth (at least one record) at a time
      const n = Math.max(1, Math.ceil(this.count / 10));
      const cut = this.db.prepare('SELECT max(seq) AS s FROM (SELECT seq FROM records ORDER BY seq LIMIT ?)').get(n) as { s: number | null };
      if (cut.s === null) break;
      this.drop('bytes', Number(cut.s));
    }
  }

  private drop(reason: DropReason, uptoSeq: number): void {
    const first = this.head.get() as { at_ms: number } | undefined;
    const { n, b } = this.removeUpTo(uptoSeq);
    this.droppedThrough = Math.max(this.droppedThrough, uptoSeq);
    for (const w of this.waiters) {
      if (w.first > uptoSeq) continue;
      this.waiters.delete(w);
      w.reject(this.notAcknowledged(`dropped from the store-and-forward buffer (${reason} bound) before Kafka took them`));
    }
    if (n === 0) return;
    this.m.dropped.inc({ reason }, n);
    this.log.error({ reason, records: n, bytes: b, oldestAt: first ? new Date(Number(first.at_ms)).toISOString() : undefined, maxBytes: this.options.maxBytes, maxAgeMs: this.options.maxAgeMs }, `store-and-forward buffer full (${reason}): the oldest records were dropped before Kafka took them`);
  }

  /** Deletes every record up to `seq` and takes exactly what was deleted off the totals. */
  private removeUpTo(seq: number): { n: number; b: number } {
    const t = this.rangeTotals.get(seq) as { n: number; b: number };
    this.deleteUpTo.run(seq);
    const n = Number(t.n);
    const b = Number(t.b);
    this.count = Math.max(0, this.count - n);
    this.bytes = Math.max(0, this.bytes - b);
    return { n, b };
  }

  private updateGauges(): void {
    this.m.records.set(undefined, this.count);
    this.m.bytes.set(undefined, this.bytes);
    this.m.oldest.set(undefined, this.oldestAgeMs() / 1000);
  }
}

/** Sends a batch of records (possibly of several topics) and resolves when Kafka acknowledged all of them. */
export type BatchSender = (records: readonly BufferedRecord[]) => Promise<void>;

/** Options of {@link Forwarder}. */
export interface ForwarderOptions {
  /** Records per produce request, at most. Default 2000. */
  readonly batchRecords?: number;
  /** Backoff after a failed send, ms. Default 200 … 10 000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * Forwards a {@link RecordBuffer} to Kafka in append order, one batch in flight, retrying with
 * capped backoff while Kafka does not acknowledge (nothing is deleted then).
 */
export class Forwarder {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  private readonly failures;
  private failingSince: number | undefined;
  private lastError: string | undefined;

  /**
   * @param buffer - the buffer to drain.
   * @param send - one produce request (see {@link BatchSender}).
   */
  constructor(private readonly buffer: RecordBuffer, private readonly send: BatchSender, private readonly options: ForwarderOptions = {}) {
    this.log = options.logger ?? noopLogger;
    this.failures = (options.metrics ?? noopMetrics).counter({ name: 'busbar_collector_publish_errors_total', help: 'Produce requests of the collector that Kafka did not acknowledge (retried; records stay buffered).', labelNames: ['topic'] });
  }

  /** Since when sends have been failing (ms since the epoch), `undefined` while they succeed. */
  get failingSinceMs(): number | undefined {
    return this.failingSince;
  }

  /** The last send error, while sends fail. */
  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Starts forwarding (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Tells the loop that records were appended. */
  notify(): void {
    this.wake.abort();
  }

  /**
   * Stops: lets the batch in flight finish, then tries to forward what is left for at most
   * `drainMs` (default 5 s); anything still buffered stays on disk for the next start.
   */
  async stop(drainMs = 5000): Promise<void> {
    if (!this.running && this.loop === undefined) return;
    const deadline = Date.now() + drainMs;
    this.running = false;
    this.stopping.abort();
    await this.loop;
    this.loop = undefined;
    while (this.buffer.size > 0 && Date.now() < deadline) {
      if (!(await this.forwardOnce())) break;
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      if (this.buffer.size === 0) {
        if (this.wake.signal.aborted) this.wake = new AbortController();
        if (this.buffer.size === 0) await sleep(1000, AbortSignal.any([this.wake.signal, this.stopping.signal]));
        continue;
      }
      if (await this.forwardOnce()) {
        attempt = 0;
      } else {
        const delay = backoffDelayMs(attempt++, { initialDelayMs: this.options.retryInitialMs ?? 200, maxDelayMs: this.options.retryMaxMs ?? 10_000 });
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  /** Sends one batch. @returns whether Kafka acknowledged it (or there was nothing to send). */
  private async forwardOnce(): Promise<boolean> {
    const batch = this.buffer.peek(this.options.batchRecords ?? 2000);
    if (batch.length === 0) return true;
    try {
      await this.send(batch);
    } catch (err) {
      for (const topic of new Set(batch.map((r) => r.topic))) this.failures.inc({ topic });
      this.lastError = err instanceof Error ? err.message : String(err);
      if (this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.log.error({ code: errorCode(err), err: this.lastError, buffered: this.buffer.size }, 'Kafka does not acknowledge: records stay in the store-and-forward buffer and are retried');
      }
      return false;
    }
    try {
      this.buffer.acknowledge(batch);
    } catch (err) {
      // Kafka has the batch; it stays in the buffer and is sent again (at least once)
      this.lastError = `the buffer cannot forget what Kafka acknowledged: ${err instanceof Error ? err.message : String(err)}`;
      this.failingSince ??= Date.now();
      this.log.error({ code: errorCode(err), err: this.lastError }, 'store-and-forward buffer write failed after Kafka acknowledged a batch');
      return false;
    }
    if (this.failingSince !== undefined) {
      this.log.info({ outageMs: Date.now() - this.failingSince, buffered: this.buffer.size }, 'Kafka acknowledges again: forwarding the buffered records');
      this.failingSince = undefined;
      this.lastError = undefined;
    }
    return true;
  }
}
