/**
 * The single session to one Corus (itron-corus README §3.5: strict turn-taking, one request in
 * flight; the device serves one session at a time). {@link CorusSession} owns the only link,
 * serialises every operation through a priority queue and exposes the high-level API:
 * parameters by name from the configured map, log records in time order, checked writes, clock.
 *
 * Priorities: write (0) > read (1) > log (2) > keep-alive (3). Log reads are cut into time
 * windows, one database request per queue slot, so a queued write waits at most for the request
 * in progress (one window) — never for a whole backfill; polling reads likewise yield to writes
 * and resume after.
 *
 * Connection: the link is opened ONCE — by {@link CorusSession.open} or by the first operation —
 * and never re-opened. A link that fails to open, or faults later (README §11: a frame out of step,
 * a timeout, the connection closed), ends the session: {@link CorusSession.lost} settles with the
 * error and every later operation fails with `BB_CORUS_SESSION_CLOSED` (outcome `not_sent`).
 * Nothing here sleeps, retries or reconnects: whoever holds the session (the collector runtime,
 * `@busbar/collector-kit`) opens a new one, with backoff. A NAK (a refused read, database request
 * or write) ends the session too: the link drops itself after it, since without request ids a late
 * answer could follow (README "Stale answers"). Checks before sending (unknown parameter, value out
 * of range) are not link faults: the session goes on.
 */
import { EventEmitter } from 'node:events';
import { noopLogger, noopMetrics, systemClock, type Clock, type CommandOutcome, type Logger, type Metrics } from '@busbar/core';
import { withOutcome, CorusError } from '../errors.js';
import { encodeValue, formatCorusDateTime, isCorusDateTime, type CorusDateTime, type CorusInputValue, type CorusValue } from '../codec/data-classes.js';
import { decodeRecord, type DecodedRecord } from '../codec/database.js';
import { ExactDecimal } from '../codec/exact-decimal.js';
import { MAX_FRAME_DATA } from '../codec/frames.js';
import { parameterIdLength } from '../codec/parameter-id.js';
import { planReads, type WriteItem } from '../codec/parameters.js';
import { MAP_NAME_PARAMETER_ID, isNumericClass, parseCorusMap, type CorusMap, type CorusMapInput, type CorusParameter } from '../config/map.js';
import { decideLogRecords, type LogCursorState } from '../log/cursor-policy.js';
import { CorusLink, type LinkOptions, type WriteAnswer } from './link.js';
import { resolveLinkOptions } from './options.js';
import { corusDateTimeToDate, dateToCorusDateTime, wallMs, wallOfMs, wallTimeInstants } from './time-zone.js';
import type { CorusTransportFactory } from './transport.js';

/** Operation priority: lower runs first. */
export const Priority = { write: 0, read: 1, log: 2, keepAlive: 3 } as const;

/** A parameter value as the high-level API returns it: exact numbers, instants, text, or no value. */
export type ParameterValue = ExactDecimal | Date | string | null;

/** One log record: timestamp from the layout's timestamp field, values by field name. */
export interface LogRecord {
  /** Configured log name (e.g. `interval`). */
  readonly log: string;
  /** Instant of the record (its timestamp field in the device zone). */
  readonly timestamp: Date;
  /** The timestamp field as the device wrote it (naive ISO, README §8.3.12). */
  readonly deviceTime: string;
  /** Field values (no-value fields left out; pulse fields scaled exactly, README §9.6). */
  readonly values: Readonly<Record<string, ExactDecimal | Date | string>>;
}

/**
 * One record of a log as the device sent it, for the cursor policy (`decideLogRecords`): nothing
 * resolved, de-duplicated or dropped. {@link logEntryToRecord} makes the {@link LogRecord} once the
 * policy placed it in time.
 */
export interface LogEntry {
  /** Configured log name. */
  readonly log: string;
  /** The layout's timestamp field (naive, README §8.3.12); `null` when the record carries none (no-value). */
  readonly deviceTime: CorusDateTime | null;
  /** The record's raw bytes as lower-case hex: its identity across reads. */
  readonly key: string;
  /** The log's `sequenceField`, when configured and present. */
  readonly sequence?: number;
  /** The log's `summerTimeFlag` bit, when configured and present. */
  readonly summerTime?: boolean;
  /** Decoded fields (no-value fields left out, pulse fields scaled, Date fields naive; README §9.6). */
  readonly fields: DecodedRecord;
}

/**
 * The published form of a log entry: `timestamp` is the instant the cursor policy gave it (the
 * repeated DST hour resolved); every other Date field takes the instant of its wall time in
 * `timeZone` closest to that timestamp.
 * @throws {RangeError} when the entry has no device time, or for an unknown time zone.
 */
export function logEntryToRecord(entry: LogEntry, timestampMs: number, timeZone = 'UTC'): LogRecord {
  if (entry.deviceTime === null) throw new RangeError('a log entry without a device time cannot become a record');
  const values: Record<string, ExactDecimal | Date | string> = {};
  for (const [k, v] of Object.entries(entry.fields)) {
    if (!isCorusDateTime(v)) {
      values[k] = v;
      continue;
    }
    const c = wallTimeInstants(v, timeZone);
    const best = c.reduce<number | undefined>((b, t) => (b === undefined || Math.abs(t - timestampMs) < Math.abs(b - timestampMs) ? t : b), undefined);
    values[k] = new Date(best ?? corusDateTimeToDate(v, timeZone).getTime());
  }
  return { log: entry.log, timestamp: new Date(timestampMs), deviceTime: formatCorusDateTime(entry.deviceTime), values };
}

/** A write by parameter name or id. */
export type ParameterWrite = { readonly name: string; readonly value: CorusInputValue | Date } | { readonly id: number; readonly value: CorusInputValue | Date };

/** Result of {@link CorusSession.writeParameters}. */
export interface WriteResult {
  /** Whether every frame was ACKed. */
  readonly accepted: boolean;
  /** Device answer of the last frame sent (`nak`/`other` = refused; README §6). */
  readonly answer: WriteAnswer['answer'];
  /** Names written in frames the device ACKed. */
  readonly written: readonly string[];
  /** Names in the refused frame and after it (not sent). */
  readonly notWritten: readonly string[];
  /** `refused` when `accepted` is false (the device NAKed a frame; `written` lists what it took before). */
  readonly outcome?: CommandOutcome;
}

/** Options of {@link CorusSession}. */
export interface CorusSessionOptions extends LinkOptions {
  /** Creates one transport per connection (TCP or serial). */
  readonly transport: CorusTransportFactory;
  /** The configured parameter map (validated here if given as input). */
  readonly map: CorusMap | CorusMapInput;
  /** IANA time zone of the device clock. @default "UTC" (README §8.3.12 [U]) */
  readonly timeZone?: string;
  /** Send a keep-alive read (id 0x5E) after this long without traffic, ms; 0 = off. @default 30000 */
  readonly keepAliveIntervalMs?: number;
  /** Time window per log request, s (one queue slot each). @default 21600 (6 h) */
  readonly logChunkS?: number;
  /** Largest DATA per request/answer frame. @default 255 (README §4.7) */
  readonly maxFrameData?: number;
  /** Device id for logs and metric labels. @default transport description */
  readonly deviceId?: string;
  /** Logger. @default noopLogger */
  readonly logger?: Logger;
  /** Metrics. @default noopMetrics */
  readonly metrics?: Metrics;
  /** Clock for "now" in log reads. @default systemClock */
  readonly clock?: Clock;
}

interface QueuedOp {
  readonly priority: number;
  readonly seq: number;
  readonly needsLink: boolean;
  readonly run: (link: CorusLink | undefined) => Promise<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Events: `connected` ({ identification }) once the link is open, `disconnected` ({ reason }) when
 * it is lost or closed.
 */
export class CorusSession extends EventEmitter {
  /** The validated map. */
  readonly map: CorusMap;
  private readonly opts: CorusSessionOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly queue: QueuedOp[] = [];
  private seq = 0;
  private running = false;
  private link: CorusLink | undefined;
  private pulseWeight: ExactDecimal | undefined;
  private closed = false;
  /** Set when the link failed to open or was lost: the session is over. */
  private lostWith: Error | undefined;
  private resolveLost!: (e: Error) => void;
  private opened = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private drained: Promise<void> = Promise.resolve();
  private drainedResolve: (() => void) | undefined;
  private readonly metricOps;
  private readonly metricErrors;
  private readonly metricNaks;
  private readonly metricRecords;
  private readonly deviceId: string;

  /**
   * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` when `options.map` or a link option is invalid.
   */
  constructor(options: CorusSessionOptions) {
    super();
    resolveLinkOptions(options); // at the edge: a bad link option stops here, not at the first request
    this.opts = options;
    this.map = 'byName' in options.map ? options.map : parseCorusMap(options.map);
    this.logger = (options.logger ?? noopLogger).child({ component: 'corus' });
    this.clock = options.clock ?? systemClock;
    this.deviceId = options.deviceId ?? 'corus';
    const m = options.metrics ?? noopMetrics;
    this.metricOps = m.counter({ name: 'busbar_corus_operations_total', help: 'Corus session operations completed, by kind and outcome.', labelNames: ['device', 'kind', 'outcome'] });
    this.metricErrors = m.counter({ name: 'busbar_corus_errors_total', help: 'Corus errors by code.', labelNames: ['device', 'code'] });
    this.metricNaks = m.counter({ name: 'busbar_corus_database_naks_total', help: 'NAKs sent for corrupt database frames.', labelNames: ['device'] });
    this.metricRecords = m.counter({ name: 'busbar_corus_log_records_total', help: 'Log records read.', labelNames: ['device', 'log'] });
  }

  /**
   * Settles (never rejects) with the reason when the link failed to open or was lost — not on
   * {@link close}. The session is not reused after it: open a new one.
   */
  readonly lost: Promise<Error> = new Promise<Error>((resolve) => (this.resolveLost = resolve));

  /**
   * Opens the link once: connect, wake-up, sign-on, password (README §3), map check (§7.1). A
   * no-op when it is open already.
   * @throws {CorusError} the link's error (`BB_CORUS_CONNECT_FAILED`, `BB_CORUS_AUTH_FAILED`,
   *   `BB_CORUS_MAP_MISMATCH`, ...); `lost` settles with it. `BB_CORUS_SESSION_CLOSED` when the
   *   session was closed or lost before.
   */
  async open(): Promise<void> {
    await this.enqueueOp(Priority.read, async () => undefined, true);
  }

  /** Number of operations waiting (not counting the one running). */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether a signed-on link is open. */
  get connected(): boolean {
    return this.link !== undefined && !this.link.closed;
  }

  /**
   * Queues `run` at `priority`; it runs once on the open link (opened, signed on and map-checked
   * first if this is the session's first operation). Never retried.
   * @throws {CorusError} `BB_CORUS_SESSION_CLOSED` when the session is closed or lost; the operation's errors.
   */
  enqueue<T>(priority: number, run: (link: CorusLink) => Promise<T>): Promise<T> {
    return this.enqueueOp(priority, run as (link: CorusLink | undefined) => Promise<T>, true);
  }

  private gone(): CorusError | undefined {
    if (this.closed) return new CorusError('BB_CORUS_SESSION_CLOSED', 'the Corus session is closed');
    if (this.lostWith !== undefined) return new CorusError('BB_CORUS_SESSION_CLOSED', `the Corus session lost its link (${this.lostWith.message}); open a new session`, { cause: this.lostWith, retriable: true });
    return undefined;
  }

  private enqueueOp<T>(priority: number, run: (link: CorusLink | undefined) => Promise<T>, needsLink: boolean): Promise<T> {
    const gone = this.gone();
    if (gone !== undefined) return Promise.reject(gone);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ priority, seq: this.seq++, needsLink, run, resolve: resolve as (v: unknown) => void, reject });
      this.queue.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.clearIdle();
    this.drained = new Promise((r) => (this.drainedResolve = r));
    try {
      for (let op = this.queue.shift(); op !== undefined; op = this.queue.shift()) {
        try {
          op.resolve(await this.execute(op));
        } catch (e) {
          op.reject(e);
        }
      }
    } finally {
      this.running = false;
      this.drainedResolve?.();
      if (!this.closed) this.armIdle();
    }
  }

  private async execute(op: QueuedOp): Promise<unknown> {
    const gone = this.gone();
    if (gone !== undefined) throw gone;
    let started = false;
    try {
      const link = op.needsLink ? await this.ensureLink() : this.link;
      started = true;
      return await op.run(link);
    } catch (thrown) {
      // opening, signing on or checking the map failed: the operation itself never left
      const e = started ? thrown : withOutcome(thrown, 'not_sent');
      const err = e instanceof CorusError ? e : undefined;
      this.metricErrors.inc({ device: this.deviceId, code: err?.code ?? 'BB_CORE_UNEXPECTED' });
      if (this.closed) throw new CorusError('BB_CORUS_SESSION_CLOSED', 'the Corus session was closed', { cause: e, outcome: err?.outcome ?? 'unknown' });
      // Every link error is a CorusError; anything else came from the caller's own code between two
      // exchanges (an expired command's check before a write) and leaves the link in step.
      if (!started || (err !== undefined && isLinkFault(err))) await this.markLost(e instanceof Error ? e : new Error(String(e)), err?.code ?? 'error');
      throw e;
    }
  }

  /** The link failed to open or faulted: the session is over (queued operations fail, `lost` settles). */
  private async markLost(error: Error, reason: string): Promise<void> {
    if (this.lostWith !== undefined) return;
    this.lostWith = error;
    this.clearIdle();
    await this.dropLink(reason);
    const gone = this.gone()!;
    for (const op of this.queue.splice(0)) op.reject(gone);
    this.logger.warn({ device: this.deviceId, code: reason }, 'Corus link lost; the session ends');
    this.resolveLost(error);
  }

  private async ensureLink(): Promise<CorusLink> {
    if (this.link !== undefined && !this.link.closed) return this.link;
    if (this.opened) throw new CorusError('BB_CORUS_CONNECTION_CLOSED', 'the Corus link was closed', { retriable: true });
    this.opened = true;
    const link = await CorusLink.open(this.opts.transport(), { ...this.opts, onNak: () => this.metricNaks.inc({ device: this.deviceId }) });
    try {
      const [name] = await link.readParameters([{ id: MAP_NAME_PARAMETER_ID, class: 'CorusString' }]);
      const mapId = typeof name === 'string' ? (name.split('_')[1] ?? '').toLowerCase() : '';
      if (mapId !== this.map.mapId) {
        throw new CorusError('BB_CORUS_MAP_MISMATCH', `device parameter map is ${JSON.stringify(name)} (map id "${mapId}"), configured map is "${this.map.mapId}": refusing to read or write`, {
          retriable: false,
          context: { device: typeof name === 'string' ? name : null, configured: this.map.mapId },
        });
      }
    } catch (e) {
      await link.close();
      throw e;
    }
    this.link = link;
    // the link drops itself after a NAK, a stale answer or a fault between operations: the session ends then, not at the next operation
    void link.lost.then((error) => {
      if (this.link === link && !this.closed) void this.markLost(error, error instanceof CorusError ? error.code : 'error');
    });
    this.pulseWeight = undefined;
    this.emit('connected', { identification: link.identification });
    this.logger.info({ device: this.deviceId, identification: link.identification?.raw }, 'Corus session open');
    return link;
  }

  private async dropLink(reason: string): Promise<void> {
    const l = this.link;
    this.link = undefined;
    if (l !== undefined) {
      await l.close();
      this.emit('disconnected', { reason });
    }
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private armIdle(): void {
    this.clearIdle();
    const keepAlive = this.opts.keepAliveIntervalMs ?? 30_000;
    if (this.link === undefined || keepAlive <= 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      // Keep-alive within the device's inactivity timeout (README §3.5 [U], 60–120 s typical); a
      // keep-alive that fails is a link fault like any other: the session reports its loss.
      void this.enqueueOp(Priority.keepAlive, async (link) => (link === undefined || link.closed ? undefined : link.readParameters([{ id: MAP_NAME_PARAMETER_ID, class: 'CorusString' }])), false).catch(() => undefined);
    }, keepAlive);
    this.idleTimer.unref();
  }

  private param(name: string): CorusParameter {
    const p = this.map.byName.get(name);
    if (p === undefined) throw new CorusError('BB_CORUS_UNKNOWN_PARAMETER', `parameter "${name}" is not in map ${this.map.mapId}`, { context: { name } });
    return p;
  }

  private toValue(v: CorusValue): ParameterValue {
    if (v === null || typeof v === 'string' || v instanceof ExactDecimal) return v;
    return corusDateTimeToDate(v, this.opts.timeZone);
  }

  /** Unit of a configured parameter (from the map), or `undefined`. */
  unitOf(name: string): string | undefined {
    return this.map.byName.get(name)?.unit;
  }

  /**
   * Reads parameters by map name (README §5), split into frames of ≤ 255 bytes, one queue slot each.
   * @returns name → value (exact decimal, instant for Date classes in the device zone, text, `null` = no value).
   * @throws {CorusError} `BB_CORUS_UNKNOWN_PARAMETER` before sending; `BB_CORUS_MAP_MISMATCH`; link errors after retries.
   */
  async readParameters(names: readonly string[]): Promise<Record<string, ParameterValue>> {
    const params = names.map((n) => this.param(n));
    const out: Record<string, ParameterValue> = {};
    const codec = { float3ExponentOffset: this.map.config.float3ExponentOffset };
    for (const group of planReads(params, this.opts.maxFrameData ?? MAX_FRAME_DATA)) {
      const values = await this.enqueue(Priority.read, (link) => link.readParameters(group, codec));
      group.forEach((p, i) => (out[p.name] = this.toValue(values[i] ?? null)));
    }
    this.metricOps.inc({ device: this.deviceId, kind: 'read', outcome: 'ok' });
    return out;
  }

  /** Reads the map name at id 0x5E (README §7.1), e.g. `FL_b0040`. */
  async readMapName(): Promise<string | null> {
    const [v] = await this.enqueue(Priority.read, (link) => link.readParameters([{ id: MAP_NAME_PARAMETER_ID, class: 'CorusString' }]));
    return typeof v === 'string' ? v : null;
  }

  /** Pulse weight: the map override, else the `pulse_weight` role parameter (cached per link; README §7.2). */
  private async pulseWeightFor(link: CorusLink): Promise<ExactDecimal> {
    if (this.map.config.pulseWeightOverride !== undefined) return ExactDecimal.from(this.map.config.pulseWeightOverride);
    if (this.pulseWeight !== undefined) return this.pulseWeight;
    const p = this.map.role('pulse_weight');
    if (p === undefined) throw new CorusError('BB_CORUS_CONFIG_INVALID', 'log layout scales by pulse weight but the map has neither pulseWeightOverride nor a pulse_weight parameter');
    const [v] = await link.readParameters([p]);
    if (!(v instanceof ExactDecimal)) throw new CorusError('BB_CORUS_VALUE_INVALID', `pulse weight parameter ${p.name} has no value`);
    this.pulseWeight = v;
    return v;
  }

  /**
   * Reads a configured log from `since` up to `until` (default now) as an async iterable, in log
   * order (oldest logged first; time order unless the device clock was set back). Each time window
   * of `logChunkS` is one database request in its own queue slot (README §9.2: START = newest
   * bound, STOP = oldest) read with {@link readLogWindow}; the cursor policy (`decideLogRecords`)
   * drops the records repeated at window edges and keeps distinct records with equal times (the
   * repeated hour of a DST fall-back on local time, re-logged records after a set-back). Records
   * without a timestamp are left out (a backfill that must count them uses `readLogWindow`).
   * @throws {CorusError} `BB_CORUS_NO_LAYOUT` (unknown log or record length), link/frame errors after retries.
   */
  async *readLog(log: string, range: { readonly since: Date; readonly until?: Date }): AsyncIterable<LogRecord> {
    const cfg = this.map.config.logs[log];
    if (cfg === undefined) throw new CorusError('BB_CORUS_NO_LAYOUT', `log "${log}" is not configured`);
    const tz = this.opts.timeZone ?? 'UTC';
    const chunkMs = (this.opts.logChunkS ?? 21_600) * 1000;
    const sinceMs = range.since.getTime();
    const untilMs = (range.until ?? new Date(this.clock.nowMs())).getTime();
    let cursor: LogCursorState | undefined;
    for (let from = sinceMs; from <= untilMs; from += chunkMs) {
      const to = Math.min(from + chunkMs, untilMs);
      const d = decideLogRecords(await this.readLogWindow(log, { since: new Date(from), until: new Date(to) }), cursor, { timeZone: tz, intervalS: cfg.intervalS, untilMs: to });
      cursor = d.cursor;
      for (const p of d.publish) if (p.timestampMs >= sinceMs && p.timestampMs <= untilMs) yield logEntryToRecord(p.record, p.timestampMs, tz);
      if (to >= untilMs) break;
    }
  }

  /**
   * Reads ONE window of a configured log as one database request (one queue slot, README §9.2)
   * and returns its records in log order, oldest logged first (the device's answer reversed: it
   * sends newest first, §9.3 [I]) — unsorted, undeduplicated, records without a timestamp kept —
   * for the cursor policy. The naive bounds sent cover every instant of `[since, until]` in the
   * device zone (both offsets around a DST change), so a window may hold records a little outside it.
   * @throws {CorusError} `BB_CORUS_NO_LAYOUT` (unknown log or record length), link/frame errors after retries.
   */
  async readLogWindow(log: string, range: { readonly since: Date; readonly until: Date }): Promise<LogEntry[]> {
    const databaseId = this.map.databaseId(log);
    const cfg = this.map.config.logs[log];
    if (cfg === undefined) throw new CorusError('BB_CORUS_NO_LAYOUT', `log "${log}" is not configured`);
    const tz = this.opts.timeZone;
    const since = range.since.getTime();
    const until = range.until.getTime();
    const offSince = wallMs(dateToCorusDateTime(range.since, tz)) - Math.floor(since / 1000) * 1000;
    const offUntil = wallMs(dateToCorusDateTime(range.until, tz)) - Math.floor(until / 1000) * 1000;
    const stop = wallOfMs(since + Math.min(offSince, offUntil));
    const start = wallOfMs(until + Math.max(offSince, offUntil));
    return this.enqueue(Priority.log, async (link) => {
      const entries: LogEntry[] = [];
      const pw = cfg.layouts.some((l) => l.fields.some((f) => f.affectedByPulseInput)) ? await this.pulseWeightFor(link) : ExactDecimal.from(1);
      await link.readDatabase({ databaseId, start, stop }, (raw, size) => {
        const layout = this.map.layout(log, size);
        if (layout === undefined) throw new CorusError('BB_CORUS_NO_LAYOUT', `no layout for log "${log}" with ${size}-byte records (configured: ${cfg.layouts.map((l) => l.recordLength).join(', ')})`, { context: { log, recordLength: size } });
        for (const r of raw) {
          const fields = decodeRecord(r, layout, pw, { float3ExponentOffset: this.map.config.float3ExponentOffset });
          const ts = fields[cfg.timestampField];
          const seq = cfg.sequenceField === undefined ? undefined : fields[cfg.sequenceField];
          const flag = cfg.summerTimeFlag === undefined ? undefined : fields[cfg.summerTimeFlag.field];
          entries.push({
            log,
            deviceTime: isCorusDateTime(ts) ? ts : null,
            key: Buffer.from(r).toString('hex'),
            ...(seq instanceof ExactDecimal ? { sequence: seq.toNumber() } : {}),
            ...(flag instanceof ExactDecimal && cfg.summerTimeFlag !== undefined ? { summerTime: (flag.toNumber() & cfg.summerTimeFlag.mask) !== 0 } : {}),
            fields,
          });
        }
      });
      this.metricRecords.inc({ device: this.deviceId, log }, entries.length);
      return entries.reverse();
    });
  }

  /**
   * Checks writes against the map (known, writable, class, min/max; README §6 "Safety"), then
   * writes them at write priority — ahead of queued polls and log chunks — in as few frames as
   * fit. Never retried automatically. Validation happens for all items before anything is sent.
   * @returns ACK/NAK verdict; on refusal (`outcome: 'refused'`), the frames after it are not sent.
   * @throws {CorusError} `BB_CORUS_UNKNOWN_PARAMETER`, `BB_CORUS_NOT_WRITABLE`, `BB_CORUS_VALUE_TYPE`,
   *   `BB_CORUS_VALUE_OUT_OF_RANGE` (before sending: outcome `not_sent`); link errors with
   *   `retriable: false`: outcome `not_sent` when the link could not be opened, signed on or
   *   map-checked, or a frame was refused before writing (and no earlier frame was ACKed), `unknown`
   *   after a frame was written (message "write outcome unknown: …", the device may have executed it)
   *   or an earlier frame was ACKed; `BB_CORUS_SESSION_CLOSED` (queued: `not_sent`).
   */
  async writeParameters(writes: readonly ParameterWrite[]): Promise<WriteResult> {
    const codec = { float3ExponentOffset: this.map.config.float3ExponentOffset };
    const items: (WriteItem & { name: string; size: number })[] = [];
    for (const w of writes) {
      const p = 'name' in w ? this.param(w.name) : this.map.byId.get(w.id);
      if (p === undefined) throw new CorusError('BB_CORUS_UNKNOWN_PARAMETER', `parameter id ${(w as { id: number }).id} is not in map ${this.map.mapId}`);
      if (!p.writable) throw new CorusError('BB_CORUS_NOT_WRITABLE', `parameter "${p.name}" (id ${p.id}) is read-only in map ${this.map.mapId}`, { context: { name: p.name, id: p.id } });
      let value: CorusInputValue = w.value instanceof Date ? dateToCorusDateTime(w.value, this.opts.timeZone) : w.value;
      if (p.class === 'Date' && typeof value === 'string') value = dateToCorusDateTime(new Date(value), this.opts.timeZone);
      if (value !== null && isNumericClass(p.class)) {
        if (isCorusDateTime(value)) throw new CorusError('BB_CORUS_VALUE_TYPE', `parameter "${p.name}" is ${p.class}, not a date`);
        const d = ExactDecimal.from(value as string | number | bigint | ExactDecimal);
        if (p.min !== undefined && d.compare(ExactDecimal.from(p.min)) < 0) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `${p.name} = ${d.toString()} is below the configured minimum ${p.min}`, { context: { name: p.name, value: d.toString(), min: p.min } });
        if (p.max !== undefined && d.compare(ExactDecimal.from(p.max)) > 0) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `${p.name} = ${d.toString()} is above the configured maximum ${p.max}`, { context: { name: p.name, value: d.toString(), max: p.max } });
        value = d;
      }
      if (p.class === 'CorusString' && typeof value === 'string' && value.length > 8) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `${p.name}: text longer than 8 characters`);
      const bytes = encodeValue(p.class, value, codec); // type and class-range check before sending
      items.push({ id: p.id, class: p.class, value, name: p.name, size: parameterIdLength(p.id) + bytes.length });
    }
    const max = this.opts.maxFrameData ?? MAX_FRAME_DATA;
    const frames: (typeof items)[] = [];
    let cur: typeof items = [];
    let size = 0;
    for (const it of items) {
      if (size + it.size > max && cur.length > 0) {
        frames.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(it);
      size += it.size;
    }
    if (cur.length > 0) frames.push(cur);
    const written: string[] = [];
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i] as typeof items;
      let answer: WriteAnswer;
      try {
        answer = await this.enqueue(Priority.write, (link) => link.writeParameters(frame, codec));
      } catch (e) {
        // after an ACKed frame the device has taken part of the command: never report it as not sent
        throw written.length > 0 ? withOutcome(e, 'unknown') : e;
      }
      if (!answer.accepted) {
        this.metricOps.inc({ device: this.deviceId, kind: 'write', outcome: 'refused' });
        this.logger.warn({ device: this.deviceId, names: frame.map((f) => f.name), answer: answer.answer }, 'Corus write refused');
        return { accepted: false, answer: answer.answer, written, notWritten: frames.slice(i).flat().map((f) => f.name), outcome: 'refused' };
      }
      written.push(...frame.map((f) => f.name));
    }
    this.metricOps.inc({ device: this.deviceId, kind: 'write', outcome: 'ok' });
    return { accepted: true, answer: 'ack', written, notWritten: [] };
  }

  /**
   * Sets the device clock (the map's `clock` role parameter) to `date` in the device zone.
   * @throws {CorusError} `BB_CORUS_UNKNOWN_PARAMETER` when the map has no clock; as {@link writeParameters}.
   */
  setClock(date: Date): Promise<WriteResult> {
    const p = this.map.role('clock');
    if (p === undefined) return Promise.reject(new CorusError('BB_CORUS_UNKNOWN_PARAMETER', `map ${this.map.mapId} has no parameter with role "clock"`));
    return this.writeParameters([{ name: p.name, value: date }]);
  }

  /**
   * Orderly shut-down: queued operations fail with `BB_CORUS_SESSION_CLOSED`, the running one
   * finishes, then break + close (README §3.6). Does not settle {@link lost}. Never throws, also
   * for a lost session.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearIdle();
    for (const op of this.queue.splice(0)) op.reject(new CorusError('BB_CORUS_SESSION_CLOSED', 'the Corus session was closed before the operation ran'));
    await this.drained;
    await this.dropLink('closed');
  }
}

/**
 * Errors after which the link is out of step or gone and must be re-opened (README §11). A refused
 * request is one too: the link drops itself after a NAK (no request ids, a late answer may follow).
 */
function isLinkFault(e: CorusError): boolean {
  return !['BB_CORUS_UNKNOWN_PARAMETER', 'BB_CORUS_NOT_WRITABLE', 'BB_CORUS_VALUE_TYPE', 'BB_CORUS_VALUE_OUT_OF_RANGE', 'BB_CORUS_CONFIG_INVALID'].includes(e.code);
}

