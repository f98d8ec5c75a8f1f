/**
 * Incremental log backfill of one Corus (itron-corus reference README §9: databases read by
 * date bounds START/STOP, one request per time window).
 *
 * Per configured log, a cursor (last published record time, persisted by {@link CursorStore})
 * says where to resume. One {@link LogBackfill.window} = one database request of at most
 * `chunkS` seconds (one slot of the driver's `CorusSession` queue, so a write waits at most one
 * window), then — for logs with a known `intervalS` — one re-request per gap the driver's
 * `findLogGaps` finds between the cursor and the newest record, then ONE publish of the new
 * records in time order (each with its own timestamp), and only after Kafka acknowledged them,
 * the cursor is written. A crash between the two re-publishes that window after a restart
 * (at-least-once, never a loss); a clean stop waits for the window in progress, so it neither
 * loses nor repeats a record.
 */
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { LogRecord } from '@busbar/driver-itron-corus';
import { findLogGaps } from '@busbar/driver-itron-corus';
import type { CursorStore, DeviceCursors, LogCursor } from './cursor.js';

/** Where log records come from (a `CorusSession`). */
export interface LogSource {
  /** Records of `log` with timestamps in `[since, until]` (inclusive, seconds resolution), oldest first. */
  readLog(log: string, range: { readonly since: Date; readonly until?: Date }): AsyncIterable<LogRecord>;
}

/** One log to backfill. */
export interface BackfillLog {
  /** Configured log name (`interval`, `hourly`, ...). */
  readonly name: string;
  /** Record spacing, s, when regular (enables gap detection). */
  readonly intervalS?: number;
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
  readonly publish: (records: readonly LogRecord[]) => Promise<void>;
  /** The device's "now" (its clock), ms since the epoch: the end of the backfill. */
  readonly deviceNowMs: () => Promise<number>;
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
  /** Records still missing after re-requesting the gaps. */
  readonly missing: number;
}

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** The backfill of one device's logs. Not re-entrant: one pass at a time. */
export class LogBackfill {
  private cursors: Record<string, LogCursor> = {};
  private readonly scan = new Map<string, number>();
  private loaded = false;
  private readonly log: Logger;
  private readonly m;

  /** @param options - see {@link LogBackfillOptions}. */
  constructor(private readonly options: LogBackfillOptions) {
    this.log = options.logger ?? noopLogger;
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      records: metrics.counter({ name: 'busbar_collector_corus_log_records_total', help: 'Corus log records published (after Kafka acknowledged them).', labelNames: ['device', 'log'] }),
      missing: metrics.counter({ name: 'busbar_collector_corus_log_missing_records_total', help: 'Expected Corus interval records still missing after re-requesting the gap.', labelNames: ['device', 'log'] }),
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
   * or `keepGoing()` turns false (checked between windows).
   * @returns records published in this pass.
   * @throws the source's, publisher's or store's error (the cursor of that window did not move).
   */
  async pass(keepGoing: () => boolean = () => true): Promise<number> {
    if (!this.loaded) {
      this.cursors = { ...(await this.options.store.load(this.options.deviceId)) };
      this.loaded = true;
    }
    const nowMs = Math.floor((await this.options.deviceNowMs()) / 1000) * 1000;
    let total = 0;
    for (const l of this.options.logs) {
      for (;;) {
        if (!keepGoing()) return total;
        const o = await this.window(l, nowMs);
        total += o.published;
        if (o.caughtUp) break;
      }
    }
    return total;
  }

  /**
   * Reads, completes, publishes and persists one window of `log` ending at most at `nowMs`.
   * @throws as {@link pass}.
   */
  async window(l: BackfillLog, nowMs: number): Promise<WindowOutcome> {
    const { deviceId, source } = this.options;
    const cur = this.cursors[l.name]?.lastRecordMs;
    const since = this.scan.get(l.name) ?? (cur !== undefined ? cur + 1000 : nowMs - this.options.lookbackS * 1000);
    if (since > nowMs) return { caughtUp: true, published: 0, missing: 0 };
    const until = Math.min(since + this.options.chunkS * 1000 - 1000, nowMs);
    const byTime = new Map<number, LogRecord>();
    for (const r of await collect(source.readLog(l.name, { since: new Date(since), until: new Date(until) }))) byTime.set(r.timestamp.getTime(), r);

    let missing = 0;
    if (l.intervalS !== undefined && byTime.size > 0) {
      const times = [...byTime.keys()];
      const fromMs = cur !== undefined ? cur + 1000 : Math.min(...times);
      const toMs = Math.max(...times);
      if (toMs >= fromMs) {
        for (const gap of findLogGaps(times, { intervalS: l.intervalS, fromMs, toMs })) {
          this.m.gapRequests.inc({ device: deviceId, log: l.name });
          for (const r of await collect(source.readLog(l.name, { since: new Date(gap.fromMs), until: new Date(gap.toMs) }))) byTime.set(r.timestamp.getTime(), r);
        }
        const still = findLogGaps([...byTime.keys()], { intervalS: l.intervalS, fromMs, toMs });
        missing = still.reduce((n, g) => n + g.missing, 0);
        if (missing > 0) {
          this.m.missing.inc({ device: deviceId, log: l.name }, missing);
          this.log.warn({ deviceId, log: l.name, gaps: still.map((g) => ({ from: new Date(g.fromMs).toISOString(), to: new Date(g.toMs).toISOString(), missing: g.missing })) }, 'log records still missing after re-request; moving on');
        }
      }
    }

    const fresh = [...byTime.values()].filter((r) => cur === undefined || r.timestamp.getTime() > cur).sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    if (fresh.length > 0) {
      await this.options.publish(fresh); // throws: nothing persisted, the window is read again
      const last = fresh[fresh.length - 1]!;
      const next = { ...this.cursors, [l.name]: { lastRecordMs: last.timestamp.getTime(), lastRecordDeviceTime: last.deviceTime } };
      await this.options.store.save(deviceId, next);
      this.cursors = next;
      this.m.records.inc({ device: deviceId, log: l.name }, fresh.length);
    }
    const lastMs = this.cursors[l.name]?.lastRecordMs;
    if (lastMs !== undefined) this.m.lag.set({ device: deviceId, log: l.name }, (nowMs - lastMs) / 1000);
    const caughtUp = until >= nowMs;
    this.scan.set(l.name, caughtUp ? Math.max(lastMs !== undefined ? lastMs + 1000 : 0, until + 1000 - this.options.rescanS * 1000) : until + 1000);
    return { caughtUp, published: fresh.length, missing };
  }
}
