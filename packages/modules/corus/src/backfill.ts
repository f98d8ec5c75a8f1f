/**
 * Incremental log backfill of one Corus (itron-corus reference README §9: databases read by
 * date bounds START/STOP, one request per time window), on the driver's log cursor policy
 * (driver README "Log cursor": the device's zone and gas day, the repeated DST hour, clock set-back).
 *
 * Per configured log, a cursor (the last published record, persisted by {@link CursorStore}) says
 * where to resume. One {@link LogBackfill.window} = one database request of at most `chunkS`
 * seconds (one slot of the driver's `CorusSession` queue, so a write waits at most one window),
 * starting AT the cursor's time so the cursor's own record is in the answer; the driver's
 * `decideLogRecords` decides per record: publish (flagged `relogged` after a clock set-back) or
 * skip with a reason (`already_published`, `duplicate`, `no_timestamp`: counted in
 * `busbar_corus_log_records_skipped_total{device,log,reason}` and logged with the record time).
 * For logs with a regular `intervalS`, the missing slots on the device's wall-clock grid (zone,
 * gas-day start) are re-requested — at most `maxGapRequestsPerPass` requests per pass, oldest
 * first — then the window's records are published in ONE produce request, a clock set-back
 * becomes a FAULT DeviceEvent (`BB_CORUS_CLOCK_SET_BACK`), and only after Kafka acknowledged the
 * records is the cursor written. A crash between the two re-publishes that window after a restart
 * (at-least-once, never a loss); a clean stop waits for the window in progress.
 */
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ClockSetBackEvent, CursorDecision, LogEntry, LogRecord } from '@busbar/driver-itron-corus';
import { dateToCorusDateTime, decideLogRecords, findLogGaps, logEntryToRecord, planGapRequests, SKIP_REASONS, DEFAULT_MAX_GAP_REQUESTS_PER_PASS } from '@busbar/driver-itron-corus';
import type { CursorStore, DeviceCursors, LogCursor } from './cursor.js';

/** Where log records come from (a `CorusSession`). */
export interface LogSource {
  /** ONE database request: the log's records with times in `[since, until]`, in log order, nothing dropped. */
  readLogWindow(log: string, range: { readonly since: Date; readonly until: Date }): Promise<LogEntry[]>;
}

/** One log to backfill. */
export interface BackfillLog {
  /** Configured log name (`interval`, `hourly`, ...). */
  readonly name: string;
  /** Record spacing, s, when regular (enables gap detection). */
  readonly intervalS?: number;
}

/** A log record to publish: `relogged` when the device logged it again after its clock was set back. */
export interface BackfillRecord extends LogRecord {
  /** Logged again over a time already published (device clock set back). */
  readonly relogged: boolean;
}

/** The device's clock as read at the start of a pass. */
export interface DeviceClockReading {
  /** The reading, ms since the epoch (in the device zone). */
  readonly nowMs: number;
  /** Whether it came from the device (its clock parameter) rather than the collector's clock. */
  readonly fromDevice: boolean;
}

/** Options of {@link LogBackfill}. */
export interface LogBackfillOptions {
  /** Device id (cursor file name, metric label). */
  readonly deviceId: string;
  /** Logs to read. */
  readonly logs: readonly BackfillLog[];
  /** Where records come from. */
  readonly source: LogSource;
  /** Cursor persistence. */
  readonly store: CursorStore;
  /** Publishes records (resolves once Kafka acknowledged them; throws otherwise). */
  readonly publish: (records: readonly BackfillRecord[]) => Promise<void>;
  /** Publishes a clock set-back of `log` as a device event. @default nothing */
  readonly publishClockSetBack?: (log: string, event: ClockSetBackEvent) => Promise<void>;
  /** The device's "now" (its clock): the end of the backfill, and the set-back check. */
  readonly deviceClock: () => Promise<DeviceClockReading>;
  /** IANA zone of the device clock. @default "UTC" */
  readonly timeZone?: string;
  /** Start of the device's day (gas day) for whole-day logs, s after local midnight. @default 0 */
  readonly dayStartS?: number;
  /** Gap re-requests per pass, all logs together. @default DEFAULT_MAX_GAP_REQUESTS_PER_PASS (3) */
  readonly maxGapRequestsPerPass?: number;
  /** Window per request, s. */
  readonly chunkS: number;
  /** First backfill (no cursor) starts this long before the device clock, s. */
  readonly lookbackS: number;
  /** Once caught up, re-scan this far back from the last scanned time, s (records written late). */
  readonly rescanS: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Outcome of one window. */
export interface WindowOutcome {
  /** Whether the scan reached the device's "now". */
  readonly caughtUp: boolean;
  /** Records published in this window. */
  readonly published: number;
  /** Records still missing after re-requesting the gaps (or not re-requested: over the cap). */
  readonly missing: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The backfill of one device's logs. Not re-entrant: one pass at a time. */
export class LogBackfill {
  private cursors: Record<string, LogCursor> = {};
  private readonly scan = new Map<string, number>();
  private loaded = false;
  private gapBudget = 0;
  private readonly log: Logger;
  private readonly m;
  private readonly tz: string;

  /** @param options - see {@link LogBackfillOptions}. */
  constructor(private readonly options: LogBackfillOptions) {
    this.log = options.logger ?? noopLogger;
    this.tz = options.timeZone ?? 'UTC';
    this.gapBudget = options.maxGapRequestsPerPass ?? DEFAULT_MAX_GAP_REQUESTS_PER_PASS;
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      records: metrics.counter({ name: 'busbar_collector_corus_log_records_total', help: 'Corus log records published (after Kafka acknowledged them).', labelNames: ['device', 'log'] }),
      relogged: metrics.counter({ name: 'busbar_corus_log_records_relogged_total', help: 'Corus log records published that the device logged again after its clock was set back.', labelNames: ['device', 'log'] }),
      skipped: metrics.counter({ name: 'busbar_corus_log_records_skipped_total', help: 'Corus log records read and not published, by reason (already_published: the cursor record and those before it, re-read each pass; duplicate; no_timestamp).', labelNames: ['device', 'log', 'reason'] }),
      setBacks: metrics.counter({ name: 'busbar_corus_clock_set_backs_total', help: 'Corus device clock set-backs seen (record times going backwards, or the clock parameter behind the last published record).', labelNames: ['device', 'log'] }),
      missing: metrics.counter({ name: 'busbar_collector_corus_log_missing_records_total', help: 'Expected Corus log records still missing after re-requesting the gap, or not re-requested (over the per-pass cap).', labelNames: ['device', 'log'] }),
      gapRequests: metrics.counter({ name: 'busbar_collector_corus_log_gap_requests_total', help: 'Re-requests of gaps in a Corus log.', labelNames: ['device', 'log'] }),
      lag: metrics.gauge({ name: 'busbar_collector_corus_log_lag_seconds', help: 'Device clock minus the last published log record time.', labelNames: ['device', 'log'] }),
    };
  }

  /** The cursors as last persisted. */
  get state(): DeviceCursors {
    return { ...this.cursors };
  }

  /**
   * One pass: reads the device clock once, then each log window by window until it is caught up
   * or `keepGoing()` turns false (checked between windows). Gap re-requests are capped per pass.
   * @returns records published in this pass.
   * @throws the source's, publisher's or store's error (the cursor of that window did not move).
   */
  async pass(keepGoing: () => boolean = () => true): Promise<number> {
    if (!this.loaded) {
      this.cursors = { ...(await this.options.store.load(this.options.deviceId)) };
      this.loaded = true;
    }
    const clock = await this.options.deviceClock();
    const nowMs = Math.floor(clock.nowMs / 1000) * 1000;
    this.gapBudget = this.options.maxGapRequestsPerPass ?? DEFAULT_MAX_GAP_REQUESTS_PER_PASS;
    let total = 0;
    for (const l of this.options.logs) {
      for (;;) {
        if (!keepGoing()) return total;
        const o = await this.window(l, nowMs, clock.fromDevice);
        total += o.published;
        if (o.caughtUp) break;
      }
    }
    return total;
  }

  /**
   * Reads, decides, completes, publishes and persists one window of `log` ending at most at `nowMs`.
   * @param deviceClock - whether `nowMs` is the device's clock parameter (then a reading behind the
   *   cursor is a clock set-back).
   * @throws as {@link pass}.
   */
  async window(l: BackfillLog, nowMs: number, deviceClock = true): Promise<WindowOutcome> {
    const { deviceId, source } = this.options;
    const labels = { device: deviceId, log: l.name };
    const cur = this.cursors[l.name];
    const deviceNow = deviceClock ? dateToCorusDateTime(new Date(nowMs), this.tz) : undefined;
    let since = this.scan.get(l.name) ?? (cur !== undefined ? cur.lastRecordMs : nowMs - this.options.lookbackS * 1000);
    if (cur?.rescanFromMs !== undefined) since = Math.min(since, cur.rescanFromMs);
    if (since > nowMs) {
      // the device clock is behind where the scan stands: a set-back? (nothing to read yet)
      if (cur !== undefined && deviceNow !== undefined) await this.apply(l, decideLogRecords([], cur, { timeZone: this.tz, intervalS: l.intervalS, deviceNow }), cur);
      this.scan.delete(l.name);
      return { caughtUp: true, published: 0, missing: 0 };
    }
    let until = Math.min(since + this.options.chunkS * 1000 - 1000, nowMs);
    // after a set-back was seen on the clock: one request from before the re-logged records up to the cursor's own record
    if (cur?.rescanFromMs !== undefined) until = Math.max(until, cur.lastRecordMs);
    const policy = { timeZone: this.tz, intervalS: l.intervalS, deviceNow, untilMs: until };
    let entries = await source.readLogWindow(l.name, { since: new Date(since), until: new Date(until) });
    let d = decideLogRecords(entries, cur, policy);

    let missing = 0;
    if (l.intervalS !== undefined && d.events.length === 0 && d.placedMs.length > 0) {
      const fromMs = cur !== undefined ? cur.lastRecordMs + 1000 : Math.min(...d.placedMs);
      const toMs = Math.max(...d.placedMs);
      if (toMs >= fromMs) {
        const slots = { intervalS: l.intervalS, timeZone: this.tz, dayStartS: l.intervalS % 86_400 === 0 ? (this.options.dayStartS ?? 0) : 0, fromMs, toMs };
        const plan = planGapRequests(findLogGaps(d.placedMs, slots), this.gapBudget);
        this.gapBudget -= plan.request.length;
        const known = new Set(entries.map((e) => e.key));
        const extra: LogEntry[] = [];
        for (const gap of plan.request) {
          this.m.gapRequests.inc(labels);
          for (const e of await source.readLogWindow(l.name, { since: new Date(gap.fromMs), until: new Date(gap.toMs) })) {
            if (!known.has(e.key)) extra.push(e);
            known.add(e.key);
          }
        }
        if (extra.length > 0) {
          // records a first answer lacked: into their place in time (no set-back in this window, so time order is log order)
          const placed = new Map<LogEntry, number>();
          for (const p of d.publish) placed.set(p.record, p.timestampMs);
          for (const s of d.skipped) if (s.timestampMs !== null) placed.set(s.record, s.timestampMs);
          for (const e of extra) if (e.deviceTime !== null) placed.set(e, decideLogRecords([e], undefined, { timeZone: this.tz }).placedMs[0] ?? 0);
          entries = [...entries, ...extra].map((e, i) => ({ e, i, t: placed.get(e) ?? Number.NEGATIVE_INFINITY })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
          d = decideLogRecords(entries, cur, policy);
        }
        const still = findLogGaps(d.placedMs, slots);
        missing = still.reduce((n, g) => n + g.missing, 0);
        if (missing > 0) {
          this.m.missing.inc(labels, missing);
          this.log.warn({ device: deviceId, log: l.name, notRequested: plan.deferred.length, gaps: still.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs), missing: g.missing })) }, plan.deferred.length > 0 ? 'log records missing; some gaps not re-requested (per-pass cap); moving on' : 'log records still missing after re-request; moving on');
        }
      }
    }

    const published = await this.apply(l, d, cur);
    const lastMs = this.cursors[l.name]?.lastRecordMs;
    if (lastMs !== undefined) this.m.lag.set(labels, (nowMs - lastMs) / 1000);
    const caughtUp = until >= nowMs;
    const inSetBack = this.cursors[l.name]?.highWaterMs !== undefined;
    this.scan.set(l.name, caughtUp ? (lastMs !== undefined && inSetBack ? lastMs : Math.max(lastMs ?? 0, until + 1000 - this.options.rescanS * 1000)) : until + 1000);
    return { caughtUp, published, missing };
  }

  /** Counts and logs the skips, publishes the records, then the set-back events, then persists the cursor. */
  private async apply(l: BackfillLog, d: CursorDecision<LogEntry>, cur: LogCursor | undefined): Promise<number> {
    const { deviceId } = this.options;
    const labels = { device: deviceId, log: l.name };
    for (const reason of SKIP_REASONS) if (d.skippedByReason[reason] > 0) this.m.skipped.inc({ ...labels, reason }, d.skippedByReason[reason]);
    for (const s of d.skipped) {
      const line = { device: deviceId, log: l.name, reason: s.reason, deviceTime: s.deviceTime, time: s.timestampMs === null ? null : iso(s.timestampMs) };
      if (s.reason === 'already_published') this.log.debug(line, 'log record skipped');
      else this.log.warn(line, 'log record skipped');
    }
    const records = d.publish.map((p): BackfillRecord => ({ ...logEntryToRecord(p.record, p.timestampMs, this.tz), relogged: p.relogged }));
    if (records.length > 0) await this.options.publish(records); // throws: nothing persisted, the window is read again
    for (const e of d.events) {
      this.m.setBacks.inc(labels);
      this.log.warn({ device: deviceId, log: l.name, detectedBy: e.detectedBy, setBackS: e.setBackByMs / 1000, relogged: e.reloggedRecords, from: e.fromDeviceTime, to: e.toDeviceTime }, e.description);
      await this.options.publishClockSetBack?.(l.name, e);
    }
    if (d.cursor !== undefined && d.cursor !== cur) {
      const next = { ...this.cursors, [l.name]: d.cursor };
      await this.options.store.save(deviceId, next);
      this.cursors = next;
    }
    if (records.length > 0) {
      this.m.records.inc(labels, records.length);
      const relogged = records.filter((r) => r.relogged).length;
      if (relogged > 0) this.m.relogged.inc(labels, relogged);
    }
    return records.length;
  }
}
