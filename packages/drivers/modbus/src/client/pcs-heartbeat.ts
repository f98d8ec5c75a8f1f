/**
 * `PcsHeartbeat`: feeds the PCS communication watchdog so that the PCS stops by itself when Busbar
 * stops talking to it.
 *
 * Facts (safety-rig reference §4.2, §4.3 item 5): the `Heartbeat` register (41025 in the xlsx) is the
 * communication timer, 1 count = 0.1 s, 0–1000; the PCS counts it down (status register 30262 shows
 * the count) and stops when it runs out. The original wrote 333 once — the value the vendor PDF says
 * BYPASSES the watchdog (defect D7), so the PCS kept running when the Pi died. [INFERRED from the
 * reference] Re-writing the timeout re-arms the timer; confirm on the unit (watch `comm_timer_s`).
 *
 * Busbar instead writes a real timeout (at most 30 s, never 33.3 s) every `intervalMs`, with at least
 * three writes per timeout so one lost request does not trip the PCS; when the feeder stops
 * (`stop()`, process death) the writes stop and the PCS times out. A failed write is reported
 * (`feedFailed`) and the next one goes out on schedule: the feeder never retries faster, and never
 * holds the PCS alive on its own.
 */
import { EventEmitter } from 'node:events';
import { errorCode, noopLogger, noopMetrics } from '@busbar/core';
import type { Logger, Metrics } from '@busbar/core';
import { PCS_HEARTBEAT_MAX_S, PCS_HEARTBEAT_POINT } from '../codec/pcs-map.js';
import { ModbusConfigError } from '../errors.js';

/** What the feeder writes through: a `ModbusDeviceClient` fits. */
export interface HeartbeatWriter {
  /** Writes `value` (engineering units) to point `pointName`. */
  write(pointName: string, value: number): Promise<unknown>;
}

/** Options of {@link PcsHeartbeat}. */
export interface PcsHeartbeatOptions {
  /** Where the writes go (the PCS's `ModbusDeviceClient`). */
  readonly writer: HeartbeatWriter;
  /** Watchdog timeout written each time, s: 0.1..30 in steps of 0.1 (the register's resolution); 33.3 is refused. */
  readonly timeoutS: number;
  /** Time between writes, ms; at most timeoutS × 1000 / 3. */
  readonly intervalMs: number;
  /** Point name of the heartbeat register. @default 'heartbeat_timeout_s' */
  readonly point?: string;
  /** Device id for logs and metric labels. */
  readonly deviceId: string;
  /** Structured logger. @default noopLogger */
  readonly logger?: Logger;
  /** Metrics factory. @default noopMetrics */
  readonly metrics?: Metrics;
}

/** Events of {@link PcsHeartbeat}. */
export interface PcsHeartbeatEvents {
  /** A write succeeded. */
  fed: [timeoutS: number];
  /** A write failed; `consecutive` failures so far (the PCS stops after about timeoutS without one). */
  feedFailed: [error: unknown, consecutive: number];
}

/** Value the vendor PDF says bypasses the watchdog (33.3 s = 333 counts; reference §4.3 item 5, defect D7). */
export const HEARTBEAT_BYPASS_S = 33.3;
/** Fewest writes per timeout the feeder accepts. */
export const HEARTBEAT_MIN_FEEDS_PER_TIMEOUT = 3;

/**
 * Checks a heartbeat timeout and interval against each other.
 *
 * @returns the problems found, as `field: message` (empty when valid).
 */
export function heartbeatIssues(timeoutS: number, intervalMs: number): string[] {
  const issues: string[] = [];
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) issues.push(`heartbeat.timeoutS: must be a positive number of seconds, got ${timeoutS} (0 would not arm the watchdog)`);
  else if (Math.abs(timeoutS - HEARTBEAT_BYPASS_S) < 0.05) issues.push(`heartbeat.timeoutS: ${timeoutS} s (333 counts) is the value that bypasses the PCS watchdog (safety-rig reference §4.3 item 5, defect D7); choose a real timeout ≤ ${PCS_HEARTBEAT_MAX_S} s`);
  else if (timeoutS > PCS_HEARTBEAT_MAX_S) issues.push(`heartbeat.timeoutS: must be at most ${PCS_HEARTBEAT_MAX_S} s (values from 33.3 s are bypass or undefined), got ${timeoutS}`);
  else if (timeoutS < 0.1 || Math.abs(Math.round(timeoutS * 10) - timeoutS * 10) > 1e-9) issues.push(`heartbeat.timeoutS: must be a multiple of 0.1 s (1 count), at least 0.1, got ${timeoutS}`);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) issues.push(`heartbeat.intervalMs: must be an integer ≥ 10 (ms), got ${intervalMs}`);
  else if (issues.length === 0 && intervalMs * HEARTBEAT_MIN_FEEDS_PER_TIMEOUT > timeoutS * 1000) {
    issues.push(`heartbeat.intervalMs: ${intervalMs} ms leaves fewer than ${HEARTBEAT_MIN_FEEDS_PER_TIMEOUT} writes per ${timeoutS} s timeout; use at most ${Math.floor((timeoutS * 1000) / HEARTBEAT_MIN_FEEDS_PER_TIMEOUT)} ms`);
  }
  return issues;
}

/**
 * Periodic heartbeat writer. Call {@link start} after the PCS session is up, {@link stop} before
 * closing it.
 *
 * @example
 * const hb = new PcsHeartbeat({ writer: pcsClient, timeoutS: 5, intervalMs: 1000, deviceId: 'pcs' });
 * hb.on('feedFailed', (err, n) => log.warn({ n }, 'heartbeat write failed'));
 * hb.start();
 * // ...
 * await hb.stop();
 */
export class PcsHeartbeat extends EventEmitter<PcsHeartbeatEvents> {
  /** Timeout written each time, s. */
  readonly timeoutS: number;
  /** Time between writes, ms. */
  readonly intervalMs: number;

  private readonly writer: HeartbeatWriter;
  private readonly point: string;
  private readonly deviceId: string;
  private readonly logger: Logger;
  private readonly metric;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private failures = 0;

  /**
   * @param options - see {@link PcsHeartbeatOptions}.
   * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID` for a timeout of 0, 33.3 s (the bypass), above
   *   30 s or not a multiple of 0.1 s, or an interval that allows fewer than 3 writes per timeout.
   */
  constructor(options: PcsHeartbeatOptions) {
    super();
    const issues = heartbeatIssues(options.timeoutS, options.intervalMs);
    if (issues.length > 0) throw new ModbusConfigError(issues);
    this.timeoutS = options.timeoutS;
    this.intervalMs = options.intervalMs;
    this.writer = options.writer;
    this.point = options.point ?? PCS_HEARTBEAT_POINT;
    this.deviceId = options.deviceId;
    this.logger = (options.logger ?? noopLogger).child({ component: 'pcs-heartbeat', device: this.deviceId });
    const metrics = options.metrics ?? noopMetrics;
    this.metric = {
      writes: metrics.counter({ name: 'busbar_modbus_heartbeat_writes_total', help: 'PCS heartbeat writes by outcome (ok or an error code).', labelNames: ['device', 'outcome'] }),
    };
  }

  /** Whether the feeder is running. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Writes at once, then every `intervalMs` (start to start; a slow write delays the next, never overlaps it). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops feeding: no write starts after this; waits for a write in flight. The PCS then times out by itself. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private tick(): void {
    if (!this.running) return;
    const started = performance.now();
    this.inFlight = this.feed().finally(() => {
      this.inFlight = undefined;
      if (!this.running) return;
      const wait = Math.max(0, this.intervalMs - (performance.now() - started));
      this.timer = setTimeout(() => this.tick(), wait);
    });
  }

  private async feed(): Promise<void> {
    try {
      await this.writer.write(this.point, this.timeoutS);
      this.failures = 0;
      this.metric.writes.inc({ device: this.deviceId, outcome: 'ok' });
      this.emit('fed', this.timeoutS);
    } catch (e) {
      this.failures += 1;
      this.metric.writes.inc({ device: this.deviceId, outcome: errorCode(e) });
      this.logger.warn({ code: errorCode(e), consecutive: this.failures }, 'PCS heartbeat write failed');
      this.emit('feedFailed', e, this.failures);
    }
  }
}
