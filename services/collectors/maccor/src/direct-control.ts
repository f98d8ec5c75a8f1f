/**
 * Executes `maccor.*` commands on one tester and keeps the direct-control state per channel — here,
 * in the process that owns the tester's connection and executes the commands (routed by the
 * commander; see `packages/actions/src/maccor/device-config.ts` for the session decision):
 *
 * - **Pacing**: (6,8) set-points at least `minIntervalMs` (≥ 100 ms) apart per channel (Maccor MacNet
 *   reference §8.6), measured from the previous (6,8)'s *reply* (the tester applied it before it
 *   replied, so the tester sees ≥ `minIntervalMs` between them). One (6,8) in flight per channel and
 *   one held slot: a set-point arriving sooner is held; a newer one replaces it (newest wins) and the
 *   replaced command is REJECTED with `BB_MACCOR_SETPOINT_SUPERSEDED` naming the newer command (exactly one
 *   result each), so a backlog never builds up. (The driver's `SetpointPacer` measures from the
 *   hand-out time instead, which lets a backlog grow when the wire is slower than the interval; this
 *   runner keeps its own slot for that reason.)
 * - **Envelope**: checked by the Maccor actions before the command reaches this runner (never sent
 *   when refused).
 * - **Set-point watchdog** (driver `SetpointWatchdog`): each set-point command feeds its channel;
 *   when the controller sends nothing for `directControl.watchdogMs`, the channel is put to rest
 *   ((6,8) ChMode R, 0 A) and a FAULT DeviceEvent plus a `maccor.watchdog_rest` CommandResult say why
 *   (`BB_MACCOR_WATCHDOG_EXPIRED`). The session ends; the channel needs `maccor.reset` before a new
 *   `maccor.start_direct_control`.
 * - **Tester watchdog** (`MacNetDirectModeWD`, reference §8.5): when `directControl.testerWatchdogS`
 *   > 0, the last set-point is re-sent every third of it, so the tester suspends the channel by
 *   itself if this process dies.
 * - On shutdown every session's channel is put to rest (`BB_MACCOR_SHUTDOWN_REST`).
 */
import { CommandRefusedError } from '@busbar/safety';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode, noopLogger, systemClock } from '@busbar/core';
import type { Command, CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { MaccorCommandRejectedError, SetpointWatchdog } from '@busbar/driver-maccor-macnet';
import type { ChannelEnvelope, DirectSetpoint, MaccorClient } from '@busbar/driver-maccor-macnet';
import { randomUUID } from 'node:crypto';
import { PROTOCOL } from './readings.js';
import type { MaccorCommandRunner, MaccorDeviceConfig, MaccorOperation } from './types.js';

/** Driver codes meaning the tester refused a command (nothing was changed): the command is REJECTED. */
const TESTER_REFUSALS: ReadonlySet<string> = new Set(['BB_MACCOR_PROCEDURE_MISSING', 'BB_MACCOR_TEST_NAME_EXISTS', 'BB_MACCOR_START_CHECK_FAILED', 'BB_MACCOR_COMMAND_REJECTED']);

/** Where the runner reports what it does on its own (watchdog, shutdown). */
export interface RunnerSinks {
  publishEvent(e: DeviceEventInput): Promise<void>;
  publishResult(r: CommandResultInput): Promise<void>;
}

interface Session {
  readonly channel: number;
  readonly startedBy: string;
  readonly envelope: ChannelEnvelope;
  lastCommandId: string;
  lastFedMs: number;
}

interface PendingSetpoint {
  readonly cmd: Command;
  readonly setpoint: DirectSetpoint;
  readonly resolve: (details: Record<string, string>) => void;
  readonly reject: (err: unknown) => void;
}

/** Result codes of (6,8) worth a retry after the pacing interval: 3 too fast, 5 not ready yet (reference §6.10, §8.6). */
const RETRY_RESULTS = new Set<string | number>([3, 5, '3', '5']);
const MAX_RETRIES = 5;

function describe(sp: DirectSetpoint): Record<string, string> {
  const d: Record<string, string> = { mode: sp.mode };
  if (sp.current_a !== undefined) d.current_a = String(sp.current_a);
  if (sp.voltage_v !== undefined) d.voltage_v = String(sp.voltage_v);
  if (sp.power_w !== undefined) d.power_w = String(sp.power_w);
  return d;
}

/** Runs the commands of one tester (see module doc). */
export class MaccorRunner implements MaccorCommandRunner {
  private readonly sessions = new Map<number, Session>();
  /** The held (newest) set-point per channel. */
  private readonly pending = new Map<number, PendingSetpoint>();
  /** The (6,8) or rest in flight per channel, if any. */
  private readonly inflight = new Map<number, Promise<void>>();
  /** When the last (6,8) of a channel was answered (or (6,7) for the first), ms. */
  private readonly lastWireMs = new Map<number, number>();
  private readonly supersededBy = new Map<string, string>();
  private readonly pumpTimers = new Map<number, NodeJS.Timeout>();
  private readonly watchdog: SetpointWatchdog | undefined;
  private readonly minIntervalMs: number;
  private readonly refreshMs: number | undefined;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs: number | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly m;

  /**
   * @param device - the tester's configuration (`directControl` enables direct control).
   * @param client - the tester's client, shared with the poller (commands go ahead of queued polls).
   * @param sinks - publishes the runner's own events and results.
   */
  constructor(
    private readonly device: MaccorDeviceConfig,
    private readonly client: MaccorClient,
    private readonly sinks: RunnerSinks,
    deps: { logger?: Logger; metrics: Metrics; clock?: Clock },
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? noopLogger).child({ deviceId: device.id });
    this.minIntervalMs = Math.max(100, device.directControl?.minIntervalMs ?? 100);
    const dc = device.directControl;
    this.watchdog = dc ? new SetpointWatchdog(this.clock, { timeoutMs: dc.watchdogMs, onExpire: (ch) => void this.expire(ch, 'watchdog') }) : undefined;
    this.refreshMs = dc && dc.testerWatchdogS > 0 ? Math.max(this.minIntervalMs, (dc.testerWatchdogS * 1000) / 3) : undefined;
    this.m = {
      setpoints: deps.metrics.counter({ name: 'busbar_maccor_setpoints_total', help: 'Direct-output set-points by outcome (sent, superseded, failed, dropped).', labelNames: ['device', 'outcome'] }),
      trips: deps.metrics.counter({ name: 'busbar_maccor_watchdog_trips_total', help: 'Channels put to rest by the set-point watchdog.', labelNames: ['device'] }),
      refreshes: deps.metrics.counter({ name: 'busbar_maccor_setpoint_refreshes_total', help: 'Set-points re-sent to keep the tester\'s MacNetDirectModeWD fed.', labelNames: ['device'] }),
      sessions: deps.metrics.gauge({ name: 'busbar_maccor_direct_sessions', help: 'Channels under direct control.', labelNames: ['device'] }),
    };
  }

  /** Channels under direct control now. */
  directChannels(): number[] {
    return [...this.sessions.keys()];
  }

  /** The command that superseded `commandId`, if it was superseded. */
  supersededByOf(commandId: string): string | undefined {
    return this.supersededBy.get(commandId);
  }

  /**
   * @throws BusbarError `BB_MACCOR_NOT_IN_DIRECT_MODE` (set-point without a session),
   *   `BB_MACCOR_DIRECT_SESSION_ACTIVE` (start on a channel already in a session) — REJECTED.
   */
  admit(op: MaccorOperation, _cmd: Command): void {
    if (op.kind === 'set_direct_output' && !this.sessions.has(op.channel)) {
      throw new BusbarError('BB_MACCOR_NOT_IN_DIRECT_MODE', `channel ${op.channel} of ${this.device.id} has no direct-control session; send maccor.start_direct_control first (after maccor.reset if the watchdog ended the last one)`, { context: { channel: op.channel } });
    }
    if (op.kind === 'start_direct_control' && this.sessions.has(op.channel)) {
      throw new BusbarError('BB_MACCOR_DIRECT_SESSION_ACTIVE', `channel ${op.channel} of ${this.device.id} is already under direct control (started by command ${this.sessions.get(op.channel)!.startedBy})`, { context: { channel: op.channel } });
    }
  }

  /**
   * Runs `op` (see module doc).
   *
   * @throws {CommandRefusedError} when the tester refused (its pre-start checks (1,3)/(1,4)/(6,11) or
   *   a command Result): REJECTED, nothing changed on the channel; `BB_MACCOR_SETPOINT_SUPERSEDED`;
   *   otherwise the driver's errors (FAILED: the outcome may be unknown), `BB_MACCOR_DIRECT_SESSION_ENDED`.
   */
  async run(op: MaccorOperation, cmd: Command): Promise<Record<string, string>> {
    try {
      return await this.runOp(op, cmd);
    } catch (err) {
      if (err instanceof BusbarError && TESTER_REFUSALS.has(err.code)) throw new CommandRefusedError(err.code, err.message, { ...(err.context as Record<string, string | number | boolean | null>) });
      throw err;
    }
  }

  private async runOp(op: MaccorOperation, cmd: Command): Promise<Record<string, string>> {
    const ch = op.channel;
    switch (op.kind) {
      case 'start_test': {
        const o = await this.client.startTest(ch, { testName: op.testName, procName: op.procName, comment: op.comment, crate: op.crate, safety: op.safety, preflight: op.preflight });
        return { channel: String(ch), test_name: o.testName, was_reset: String(o.wasReset), checks_run: o.checksRun.join('; '), checks_skipped: o.checksSkipped.join('; '), safety_echo: JSON.stringify(o.safetyEcho) };
      }
      case 'set_variable':
        await this.client.setVariable(ch, op.varNum, op.value);
        return { channel: String(ch), var_num: String(op.varNum), value: String(op.value) };
      case 'suspend':
        await this.client.suspend(ch);
        return { channel: String(ch) };
      case 'resume':
        await this.client.resume(ch);
        return { channel: String(ch) };
      case 'reset': {
        const ended = this.endSession(ch, `reset by command ${cmd.command_id}`);
        await (this.inflight.get(ch) ?? Promise.resolve());
        await this.client.reset(ch);
        return { channel: String(ch), direct_session_ended: String(ended) };
      }
      case 'start_direct_control': {
        const o = await this.client.startDirectControl(ch, { safety: op.safety, initial: op.initial, testName: op.testName });
        const now = this.clock.nowMs();
        this.lastWireMs.set(ch, now); // (6,7) counts as the channel's last set-point for pacing
        this.sessions.set(ch, { channel: ch, startedBy: cmd.command_id, envelope: op.envelope, lastCommandId: cmd.command_id, lastFedMs: now });
        this.m.sessions.set({ device: this.device.id }, this.sessions.size);
        this.watchdog?.feed(ch);
        this.schedule();
        return { channel: String(ch), test_name: op.testName, was_reset: String(o.wasReset), safety_echo: JSON.stringify(o.safetyEcho), watchdog_ms: String(this.device.directControl?.watchdogMs ?? '') };
      }
      case 'set_direct_output':
        return this.offer(ch, cmd, op.setpoint);
    }
  }

  private offer(ch: number, cmd: Command, setpoint: DirectSetpoint): Promise<Record<string, string>> {
    const session = this.sessions.get(ch);
    if (!session) return Promise.reject(new BusbarError('BB_MACCOR_NOT_IN_DIRECT_MODE', `channel ${ch} of ${this.device.id} has no direct-control session`, { context: { channel: ch } }));
    session.lastCommandId = cmd.command_id;
    session.lastFedMs = this.clock.nowMs();
    this.watchdog?.feed(ch);
    this.schedule();
    return new Promise((resolve, reject) => {
      const old = this.pending.get(ch);
      this.pending.set(ch, { cmd, setpoint, resolve, reject });
      if (old) {
        this.supersededBy.set(old.cmd.command_id, cmd.command_id);
        this.m.setpoints.inc({ device: this.device.id, outcome: 'superseded' });
        old.reject(new CommandRefusedError('BB_MACCOR_SETPOINT_SUPERSEDED', `set-point superseded by command ${cmd.command_id} before it was sent (set-points are paced ≥ ${this.minIntervalMs} ms apart per channel; the newest wins); not applied`, { channel: ch, superseded_by: cmd.command_id }));
      }
      this.pump(ch);
    });
  }

  /** Sends the held set-point of `ch` when nothing is in flight and the interval has passed. */
  private pump(ch: number): void {
    if (this.inflight.has(ch) || !this.pending.has(ch) || this.pumpTimers.has(ch)) return;
    const wait = (this.lastWireMs.get(ch) ?? 0) + this.minIntervalMs - this.clock.nowMs();
    if (wait > 0) {
      this.pumpTimers.set(ch, setTimeout(() => {
        this.pumpTimers.delete(ch);
        this.pump(ch);
      }, wait));
      return;
    }
    const item = this.pending.get(ch)!;
    this.pending.delete(ch);
    this.track(ch, this.send(ch, item));
  }

  private track(ch: number, p: Promise<void>): void {
    const done = p.finally(() => {
      if (this.inflight.get(ch) === done) this.inflight.delete(ch);
      if (!this.stopped) this.pump(ch);
    });
    this.inflight.set(ch, done);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** Sends one (6,8) ≥ minIntervalMs after the previous reply, retrying "too fast"/"not ready" (Result 3/5). */
  private async wire(ch: number, sp: DirectSetpoint): Promise<number> {
    let retries = 0;
    for (;;) {
      const wait = (this.lastWireMs.get(ch) ?? 0) + this.minIntervalMs - this.clock.nowMs();
      if (wait > 0) await this.sleep(wait);
      try {
        await this.client.setDirectOutput(ch, sp);
        this.lastWireMs.set(ch, this.clock.nowMs());
        return retries;
      } catch (err) {
        this.lastWireMs.set(ch, this.clock.nowMs());
        if (err instanceof MaccorCommandRejectedError && RETRY_RESULTS.has(err.result) && retries < MAX_RETRIES) {
          retries++;
          continue;
        }
        throw err;
      }
    }
  }

  private async send(ch: number, item: PendingSetpoint): Promise<void> {
    if (!this.sessions.has(ch)) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      item.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${ch}: the direct-control session ended before this set-point could be sent; not applied`, { context: { channel: ch } }));
      return;
    }
    try {
      const retries = await this.wire(ch, item.setpoint);
      this.m.setpoints.inc({ device: this.device.id, outcome: 'sent' });
      item.resolve({ channel: String(ch), ...describe(item.setpoint), ...(retries > 0 ? { retries: String(retries) } : {}) });
    } catch (err) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'failed' });
      item.reject(err);
    }
  }

  /** Ends the session of `ch` (held set-point dropped). @returns whether there was one. */
  private endSession(ch: number, why: string): boolean {
    const had = this.sessions.delete(ch);
    this.watchdog?.disarm(ch);
    const t = this.pumpTimers.get(ch);
    if (t) clearTimeout(t);
    this.pumpTimers.delete(ch);
    const p = this.pending.get(ch);
    this.pending.delete(ch);
    if (p) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      p.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${ch}: direct-control session ended (${why}) before this set-point could be sent; not applied`, { context: { channel: ch } }));
    }
    this.m.sessions.set({ device: this.device.id }, this.sessions.size);
    return had;
  }

  /** Puts a session's channel to rest (watchdog expiry or shutdown) and reports it. */
  private expire(ch: number, why: 'watchdog' | 'shutdown'): Promise<void> {
    const session = this.sessions.get(ch);
    if (!session) return Promise.resolve();
    const silenceMs = this.clock.nowMs() - session.lastFedMs;
    const code = why === 'watchdog' ? 'BB_MACCOR_WATCHDOG_EXPIRED' : 'BB_MACCOR_SHUTDOWN_REST';
    this.endSession(ch, why === 'watchdog' ? 'set-point watchdog' : 'collector shutdown');
    if (why === 'watchdog') this.m.trips.inc({ device: this.device.id });
    const rest: DirectSetpoint = { mode: 'rest', current_a: 0, voltage_v: session.envelope.max_voltage_v };
    const before = this.inflight.get(ch) ?? Promise.resolve();
    const done = before.then(async () => {
      let failure: unknown;
      try {
        await this.wire(ch, rest);
      } catch (err) {
        failure = err;
      }
      const ok = failure === undefined;
      const reason = why === 'watchdog'
        ? `set-point watchdog: no set-point for channel ${ch} within ${this.device.directControl!.watchdogMs} ms (last command ${session.lastCommandId}, ${silenceMs} ms ago); ${ok ? 'channel put to rest' : `putting the channel to rest FAILED: ${failure instanceof Error ? failure.message : String(failure)}`}`
        : `collector shutting down: channel ${ch} ${ok ? 'put to rest' : `could not be put to rest: ${failure instanceof Error ? failure.message : String(failure)}`}`;
      const details = { watchdog_ms: String(this.device.directControl?.watchdogMs ?? ''), silence_ms: String(silenceMs), last_command_id: session.lastCommandId, session_command_id: session.startedBy, rest_applied: String(ok), ...(ok ? {} : { rest_error_code: errorCode(failure) }) };
      this.log.warn({ channel: ch, why, ok }, reason);
      const at = new Date(this.clock.nowMs());
      await this.sinks.publishEvent({ event_id: randomUUID(), device_id: this.device.id, protocol: PROTOCOL, channel: ch, timestamp: at, kind: 'FAULT', previous_state: 'direct_control', state: ok ? 'rest' : 'unknown', reason, error_code: code, details });
      await this.sinks.publishResult({ command_id: `${why}-${randomUUID()}`, device_id: this.device.id, channel: ch, action: 'maccor.watchdog_rest', status: ok ? 'EXECUTED' : 'FAILED', reason_code: code, reason, timestamp: at, details });
    });
    this.track(ch, done.catch(() => undefined));
    return done;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAtMs = undefined;
    if (this.stopped) return;
    this.watchdog?.poll();
    if (this.refreshMs !== undefined) {
      const now = this.clock.nowMs();
      for (const ch of this.sessions.keys()) {
        if (this.inflight.has(ch) || this.pending.has(ch)) continue;
        if (now - (this.lastWireMs.get(ch) ?? now) < this.refreshMs) continue;
        this.track(ch, (async () => {
          try {
            await this.client.refreshDirectOutput(ch);
            this.m.refreshes.inc({ device: this.device.id });
          } catch (err) {
            this.log.warn({ channel: ch, code: errorCode(err) }, 'could not refresh the direct-mode set-point for the tester watchdog');
          } finally {
            this.lastWireMs.set(ch, this.clock.nowMs());
          }
        })());
      }
    }
    this.schedule();
  }

  /** Arms the timer for the next watchdog deadline or tester-watchdog refresh. */
  private schedule(): void {
    if (this.stopped) return;
    const candidates = [this.watchdog?.nextDeadlineMs()];
    if (this.refreshMs !== undefined) for (const ch of this.sessions.keys()) candidates.push((this.lastWireMs.get(ch) ?? this.clock.nowMs()) + this.refreshMs);
    const next = candidates.filter((x): x is number => x !== undefined).reduce<number | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
    if (next === undefined) return;
    if (this.timer && this.timerAtMs !== undefined && this.timerAtMs <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = next;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - this.clock.nowMs()));
  }

  /** Stops the timers and puts every direct-controlled channel to rest (best effort), reporting each. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.sessions.keys()].map((ch) => this.expire(ch, 'shutdown').catch(() => undefined)));
    await Promise.all([...this.inflight.values()].map((c) => c.catch(() => undefined)));
    for (const t of this.pumpTimers.values()) clearTimeout(t);
    this.pumpTimers.clear();
  }
}
