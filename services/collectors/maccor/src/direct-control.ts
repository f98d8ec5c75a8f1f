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
 * - **Rest until confirmed**: a rest (watchdog, shutdown, or after a set-point whose outcome is
 *   unknown) is retried with capped exponential backoff (250 ms doubling to 5 s) until the tester
 *   answers OK (or says direct mode is not active on the channel, Result 1/2/4: nothing left to rest,
 *   or a `maccor.reset` of the channel succeeds). Meanwhile the channel is "rest pending":
 *   `maccor.start_direct_control` and `maccor.set_direct_output` on it are REJECTED with
 *   `BB_MACCOR_REST_PENDING`, and a FAULT event says so after the first failed attempt. The final
 *   outcome is one `maccor.watchdog_rest` result and one FAULT event.
 * - **Unknown outcome**: a (6,8) that fails after it was written (timeout, connection lost...) may
 *   or may not have been applied; the channel is put to rest (`BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN`),
 *   the session stays open, and the client no longer holds a set-point to refresh (an older set-point
 *   is never re-sent over a newer one the tester may have applied).
 * - **Tester watchdog** (`MacNetDirectModeWD`, reference §8.5; `directControl.testerWatchdogS` is
 *   required, a loud warning when 0): when > 0 the last set-point the tester confirmed is re-sent every
 *   third of it, so the tester suspends the channel by itself if this process dies. A channel with a
 *   request in flight, a held set-point, a pending rest or a suspend is not refreshed; with no confirmed
 *   set-point the refresh is a rest.
 * - **Suspend**: `maccor.suspend` drops the held set-point (REJECTED `BB_MACCOR_SETPOINT_SUPERSEDED`
 *   naming the suspend), waits for the one in flight and pauses refreshes until `maccor.resume`.
 * - **Expiry at the wire**: every command is checked against its `expires_at` when its first request
 *   reaches the wire (after any wait in pacing or in the client's queue) and again before the final
 *   (6,2)/(6,7) of a start; an expired command is EXPIRED and nothing more is sent.
 * - On shutdown every session's channel is put to rest (`BB_MACCOR_SHUTDOWN_REST`), retried until
 *   `directControl.shutdownRestTimeoutMs`; a rest still unconfirmed then is logged as an error and
 *   reported by a FAULT event (state `unknown`).
 */
import { CommandRefusedError, assertNotExpired } from '@busbar/safety';
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
  readonly guard: WireGuard;
  readonly resolve: (details: Record<string, string>) => void;
  readonly reject: (err: unknown) => void;
}

/** Checked when a command's request reaches the wire (the driver's `WireGuard`). */
interface WireGuard {
  readonly beforeWrite?: () => void;
}

/** Why a channel is being put to rest. */
type RestWhy = 'watchdog' | 'shutdown' | 'unknown_outcome' | 'no_setpoint';

/** How a rest ended: confirmed by the tester, direct mode not active (nothing to rest), superseded by a reset, or given up at shutdown. */
type RestOutcome = 'confirmed' | 'not_direct' | 'reset' | 'abandoned';

/** What the reports of a rest say. */
interface RestInfo {
  readonly why: RestWhy;
  readonly voltage_v: number;
  readonly lastCommandId: string;
  readonly sessionCommandId: string;
  readonly silenceMs: number | undefined;
  readonly cause: string | undefined;
}

interface RestState {
  readonly info: RestInfo;
  attempts: number;
  cancelled: boolean;
  lastError: unknown;
  done: Promise<RestOutcome>;
}

/** (6,8) Results meaning the channel is not under direct output (1 system type, 2 not active, 4 direct mode not active; reference §6.10). */
const NOT_DIRECT_RESULTS = new Set<string | number>([1, 2, 4, '1', '2', '4']);
/** Driver codes of a (6,8) that certainly did not change the channel (never written, or refused by the tester). */
const NOT_APPLIED_CODES: ReadonlySet<string> = new Set(['BB_MACCOR_INVALID_ARGUMENT', 'BB_MACCOR_CHANNEL_OUT_OF_RANGE', 'BB_MACCOR_CONNECT_FAILED', 'BB_MACCOR_UDP_SEND_FAILED', 'BB_MACCOR_RPC_ERROR', 'BB_MACCOR_FUNCTION_UNSUPPORTED', 'BB_MACCOR_COMMAND_REJECTED']);
/** First and largest delay between rest attempts, ms. */
const REST_RETRY_INITIAL_MS = 250;
const REST_RETRY_MAX_MS = 5000;
/** How many `supersededBy` entries are kept (oldest forgotten first). */
export const SUPERSEDED_MEMORY = 1000;

/** Whether a failed (6,8) may have been applied by the tester. */
function outcomeUnknown(err: unknown): boolean {
  if (err instanceof CommandRefusedError) return false; // refused before anything was written (expiry)
  if (err instanceof BusbarError && NOT_APPLIED_CODES.has(err.code)) return false;
  return true;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  /** The (6,8) (or refresh) in flight per channel, if any. */
  private readonly inflight = new Map<number, Promise<void>>();
  /** When the last (6,8) of a channel was answered (or (6,7) for the first), ms. */
  private readonly lastWireMs = new Map<number, number>();
  private readonly supersededBy = new Map<string, string>();
  private readonly pumpTimers = new Map<number, NodeJS.Timeout>();
  /** Channels whose rest is not confirmed yet. */
  private readonly restPending = new Map<number, RestState>();
  /** Channels suspended by `maccor.suspend`: not refreshed. */
  private readonly paused = new Set<number>();
  /** Wakers of the backoff sleeps of rest loops (woken on reset and when shutdown gives up). */
  private readonly sleepers = new Set<() => void>();
  private readonly watchdog: SetpointWatchdog | undefined;
  private readonly minIntervalMs: number;
  private readonly refreshMs: number | undefined;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs: number | undefined;
  private stopped = false;
  /** Set when shutdown gives up on unconfirmed rests. */
  private abandoned = false;
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
    if (dc && dc.testerWatchdogS === 0) {
      this.log.error({ field: 'directControl.testerWatchdogS' }, `DIRECT CONTROL WITHOUT THE TESTER WATCHDOG: ${device.id} has directControl.testerWatchdogS = 0 (MacNetDirectModeWD off); if this collector dies, a direct-controlled channel keeps its last set-point until someone resets it. Enable MacNetDirectModeWD in the tester's System.ini and set testerWatchdogS to it.`);
    }
    this.m = {
      setpoints: deps.metrics.counter({ name: 'busbar_maccor_setpoints_total', help: 'Direct-output set-points by outcome (sent, superseded, failed, dropped).', labelNames: ['device', 'outcome'] }),
      trips: deps.metrics.counter({ name: 'busbar_maccor_watchdog_trips_total', help: 'Channels put to rest by the set-point watchdog.', labelNames: ['device'] }),
      refreshes: deps.metrics.counter({ name: 'busbar_maccor_setpoint_refreshes_total', help: 'Set-points re-sent to keep the tester\'s MacNetDirectModeWD fed.', labelNames: ['device'] }),
      restAttempts: deps.metrics.counter({ name: 'busbar_maccor_rest_attempts_total', help: 'Attempts to put a channel to rest (watchdog, shutdown, unknown outcome) by outcome (ok, failed).', labelNames: ['device', 'outcome'] }),
      sessions: deps.metrics.gauge({ name: 'busbar_maccor_direct_sessions', help: 'Channels under direct control.', labelNames: ['device'] }),
      restsPending: deps.metrics.gauge({ name: 'busbar_maccor_rests_pending', help: 'Channels whose rest the tester has not confirmed yet.', labelNames: ['device'] }),
    };
  }

  /** Channels under direct control now. */
  directChannels(): number[] {
    return [...this.sessions.keys()];
  }

  /** Channels whose rest the tester has not confirmed yet. */
  restPendingChannels(): number[] {
    return [...this.restPending.keys()];
  }

  /** The command that superseded `commandId`, if it was superseded (the last {@link SUPERSEDED_MEMORY} are kept). */
  supersededByOf(commandId: string): string | undefined {
    return this.supersededBy.get(commandId);
  }

  private restPendingRefusal(ch: number): CommandRefusedError {
    const st = this.restPending.get(ch)!;
    return new CommandRefusedError('BB_MACCOR_REST_PENDING', `channel ${ch} of ${this.device.id} is being put to rest (${st.info.why.replace('_', ' ')}) and the tester has not confirmed it yet (${st.attempts} attempt(s)); direct control is refused until it does; not sent`, { channel: ch, rest_attempts: st.attempts });
  }

  /**
   * @throws BusbarError `BB_MACCOR_NOT_IN_DIRECT_MODE` (set-point without a session),
   *   `BB_MACCOR_DIRECT_SESSION_ACTIVE` (start on a channel already in a session);
   *   {@link CommandRefusedError} `BB_MACCOR_REST_PENDING` (start or set-point while the channel's rest is unconfirmed) — REJECTED.
   */
  admit(op: MaccorOperation, _cmd: Command): void {
    if ((op.kind === 'set_direct_output' || op.kind === 'start_direct_control') && this.restPending.has(op.channel)) throw this.restPendingRefusal(op.channel);
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
   *   `BB_MACCOR_REST_PENDING`; `BB_COMMAND_EXPIRED` (expired while it waited: EXPIRED, not sent);
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
    const guard: WireGuard = { beforeWrite: () => assertNotExpired(cmd, this.clock.nowMs()) };
    switch (op.kind) {
      case 'start_test': {
        const o = await this.client.startTest(ch, { testName: op.testName, procName: op.procName, comment: op.comment, crate: op.crate, safety: op.safety, preflight: op.preflight, ...guard });
        return { channel: String(ch), test_name: o.testName, was_reset: String(o.wasReset), checks_run: o.checksRun.join('; '), checks_skipped: o.checksSkipped.join('; '), safety_echo: JSON.stringify(o.safetyEcho) };
      }
      case 'set_variable':
        await this.client.setVariable(ch, op.varNum, op.value, guard);
        return { channel: String(ch), var_num: String(op.varNum), value: String(op.value) };
      case 'suspend': {
        // like reset: the held set-point never goes out, the one in flight finishes first, no refresh resumes the channel
        this.paused.add(ch);
        this.dropPending(ch, (p) => this.supersede(p, cmd.command_id, `set-point superseded by maccor.suspend (command ${cmd.command_id}) before it was sent; not applied`));
        await (this.inflight.get(ch) ?? Promise.resolve());
        try {
          await this.client.suspend(ch, guard);
        } catch (err) {
          if (err instanceof CommandRefusedError || err instanceof MaccorCommandRejectedError) this.paused.delete(ch); // nothing changed: keep refreshing
          throw err;
        }
        return { channel: String(ch) };
      }
      case 'resume':
        await this.client.resume(ch, guard);
        this.paused.delete(ch);
        this.schedule();
        return { channel: String(ch) };
      case 'reset': {
        const ended = this.endSession(ch, `reset by command ${cmd.command_id}`);
        await (this.inflight.get(ch) ?? Promise.resolve());
        await this.client.reset(ch, guard);
        const rest = this.restPending.get(ch);
        if (rest) {
          rest.cancelled = true; // the channel is out of direct mode: nothing left to rest
          this.wakeAll();
        }
        return { channel: String(ch), direct_session_ended: String(ended) };
      }
      case 'start_direct_control': {
        if (this.restPending.has(ch)) throw this.restPendingRefusal(ch);
        const o = await this.client.startDirectControl(ch, { safety: op.safety, initial: op.initial, testName: op.testName, ...guard });
        const now = this.clock.nowMs();
        this.lastWireMs.set(ch, now); // (6,7) counts as the channel's last set-point for pacing
        this.sessions.set(ch, { channel: ch, startedBy: cmd.command_id, envelope: op.envelope, lastCommandId: cmd.command_id, lastFedMs: now });
        this.paused.delete(ch);
        this.m.sessions.set({ device: this.device.id }, this.sessions.size);
        this.watchdog?.feed(ch);
        this.schedule();
        return { channel: String(ch), test_name: op.testName, was_reset: String(o.wasReset), safety_echo: JSON.stringify(o.safetyEcho), watchdog_ms: String(this.device.directControl?.watchdogMs ?? '') };
      }
      case 'set_direct_output':
        return this.offer(ch, cmd, op.setpoint, guard);
    }
  }

  /** Rejects `p` as superseded by `byCommandId` (its one result), remembering who superseded it. */
  private supersede(p: PendingSetpoint, byCommandId: string, text: string): void {
    this.supersededBy.set(p.cmd.command_id, byCommandId);
    while (this.supersededBy.size > SUPERSEDED_MEMORY) this.supersededBy.delete(this.supersededBy.keys().next().value!);
    this.m.setpoints.inc({ device: this.device.id, outcome: 'superseded' });
    p.reject(new CommandRefusedError('BB_MACCOR_SETPOINT_SUPERSEDED', text, { channel: p.cmd.target.channel, superseded_by: byCommandId }));
  }

  /** Removes the held set-point of `ch` (and its pacing timer) and hands it to `reject`. */
  private dropPending(ch: number, reject: (p: PendingSetpoint) => void): void {
    const t = this.pumpTimers.get(ch);
    if (t) clearTimeout(t);
    this.pumpTimers.delete(ch);
    const p = this.pending.get(ch);
    this.pending.delete(ch);
    if (p) reject(p);
  }

  private offer(ch: number, cmd: Command, setpoint: DirectSetpoint, guard: WireGuard): Promise<Record<string, string>> {
    if (this.restPending.has(ch)) return Promise.reject(this.restPendingRefusal(ch));
    const session = this.sessions.get(ch);
    if (!session) return Promise.reject(new BusbarError('BB_MACCOR_NOT_IN_DIRECT_MODE', `channel ${ch} of ${this.device.id} has no direct-control session`, { context: { channel: ch } }));
    session.lastCommandId = cmd.command_id;
    session.lastFedMs = this.clock.nowMs();
    this.watchdog?.feed(ch);
    this.schedule();
    return new Promise((resolve, reject) => {
      const old = this.pending.get(ch);
      this.pending.set(ch, { cmd, setpoint, guard, resolve, reject });
      if (old) this.supersede(old, cmd.command_id, `set-point superseded by command ${cmd.command_id} before it was sent (set-points are paced ≥ ${this.minIntervalMs} ms apart per channel; the newest wins); not applied`);
      this.pump(ch);
    });
  }

  /** Sends the held set-point of `ch` when nothing is in flight and the interval has passed. */
  private pump(ch: number): void {
    if (this.inflight.has(ch) || !this.pending.has(ch) || this.pumpTimers.has(ch)) return;
    if (this.restPending.has(ch)) {
      this.dropPending(ch, (p) => p.reject(this.restPendingRefusal(ch)));
      return;
    }
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
      if (!this.stopped) {
        this.pump(ch);
        this.schedule(); // the channel's refresh was not scheduled while this was in flight
      }
    });
    this.inflight.set(ch, done);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** A backoff sleep that {@link wakeAll} ends early. */
  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Sends one (6,8) ≥ minIntervalMs after the previous reply, retrying "too fast"/"not ready" (Result 3/5). */
  private async wire(ch: number, sp: DirectSetpoint, guard: WireGuard = {}): Promise<number> {
    let retries = 0;
    for (;;) {
      const wait = (this.lastWireMs.get(ch) ?? 0) + this.minIntervalMs - this.clock.nowMs();
      if (wait > 0) await this.sleep(wait);
      try {
        await this.client.setDirectOutput(ch, sp, guard);
        this.lastWireMs.set(ch, this.clock.nowMs());
        return retries;
      } catch (err) {
        if (!(err instanceof CommandRefusedError)) this.lastWireMs.set(ch, this.clock.nowMs()); // something may have been written
        if (err instanceof MaccorCommandRejectedError && RETRY_RESULTS.has(err.result) && retries < MAX_RETRIES) {
          retries++;
          continue;
        }
        throw err;
      }
    }
  }

  private async send(ch: number, item: PendingSetpoint): Promise<void> {
    const session = this.sessions.get(ch);
    if (!session) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      item.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${ch}: the direct-control session ended before this set-point could be sent; not applied`, { context: { channel: ch } }));
      return;
    }
    try {
      const retries = await this.wire(ch, item.setpoint, item.guard);
      this.m.setpoints.inc({ device: this.device.id, outcome: 'sent' });
      item.resolve({ channel: String(ch), ...describe(item.setpoint), ...(retries > 0 ? { retries: String(retries) } : {}) });
    } catch (err) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'failed' });
      if (outcomeUnknown(err)) {
        // the tester may hold this set-point or the previous one: rest the channel rather than guess
        void this.restChannel(ch, { why: 'unknown_outcome', voltage_v: session.envelope.max_voltage_v, lastCommandId: item.cmd.command_id, sessionCommandId: session.startedBy, silenceMs: undefined, cause: `${errorCode(err)}: ${message(err)}` });
      }
      item.reject(err);
    }
  }

  /** Ends the session of `ch` (held set-point dropped). @returns whether there was one. */
  private endSession(ch: number, why: string): boolean {
    const had = this.sessions.delete(ch);
    this.watchdog?.disarm(ch);
    this.paused.delete(ch);
    this.dropPending(ch, (p) => {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      p.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${ch}: direct-control session ended (${why}) before this set-point could be sent; not applied`, { context: { channel: ch } }));
    });
    this.m.sessions.set({ device: this.device.id }, this.sessions.size);
    return had;
  }

  /** Puts a session's channel to rest (watchdog expiry or shutdown), ending the session; reports it. */
  private expire(ch: number, why: 'watchdog' | 'shutdown'): Promise<RestOutcome | undefined> {
    const session = this.sessions.get(ch);
    if (!session) return Promise.resolve(undefined);
    const silenceMs = this.clock.nowMs() - session.lastFedMs;
    this.endSession(ch, why === 'watchdog' ? 'set-point watchdog' : 'collector shutdown');
    if (why === 'watchdog') this.m.trips.inc({ device: this.device.id });
    return this.restChannel(ch, { why, voltage_v: session.envelope.max_voltage_v, lastCommandId: session.lastCommandId, sessionCommandId: session.startedBy, silenceMs, cause: undefined });
  }

  /**
   * Marks `ch` rest-pending (held set-point refused) and retries a rest (6,8) until the tester
   * confirms it (see module doc). A channel already resting keeps its first rest.
   */
  private restChannel(ch: number, info: RestInfo): Promise<RestOutcome> {
    const existing = this.restPending.get(ch);
    if (existing) return existing.done;
    const st: RestState = { info, attempts: 0, cancelled: false, lastError: undefined, done: Promise.resolve<RestOutcome>('confirmed') };
    this.restPending.set(ch, st);
    this.m.restsPending.set({ device: this.device.id }, this.restPending.size);
    this.dropPending(ch, (p) => p.reject(this.restPendingRefusal(ch))); // nothing may overtake the rest
    const before = this.inflight.get(ch) ?? Promise.resolve();
    st.done = before
      .catch(() => undefined)
      .then(() => this.restLoop(ch, st))
      .finally(() => {
        if (this.restPending.get(ch) === st) this.restPending.delete(ch);
        this.m.restsPending.set({ device: this.device.id }, this.restPending.size);
        this.schedule();
      });
    return st.done;
  }

  private async restLoop(ch: number, st: RestState): Promise<RestOutcome> {
    const rest: DirectSetpoint = { mode: 'rest', current_a: 0, voltage_v: st.info.voltage_v };
    let outcome: RestOutcome;
    for (;;) {
      if (st.cancelled) {
        outcome = 'reset';
        break;
      }
      if (this.abandoned) {
        outcome = 'abandoned';
        break;
      }
      st.attempts++;
      try {
        await this.wire(ch, rest);
        this.m.restAttempts.inc({ device: this.device.id, outcome: 'ok' });
        outcome = 'confirmed';
        break;
      } catch (err) {
        this.m.restAttempts.inc({ device: this.device.id, outcome: 'failed' });
        st.lastError = err;
        if (err instanceof MaccorCommandRejectedError && NOT_DIRECT_RESULTS.has(err.result)) {
          outcome = 'not_direct';
          break;
        }
        const delayMs = Math.min(REST_RETRY_MAX_MS, REST_RETRY_INITIAL_MS * 2 ** (st.attempts - 1));
        this.log.error({ channel: ch, why: st.info.why, attempt: st.attempts, code: errorCode(err), retryInMs: delayMs }, `could not put channel ${ch} to rest; retrying until the tester confirms it`);
        if (st.attempts === 1) await this.report(ch, st, 'retrying');
        await this.backoff(delayMs);
      }
    }
    await this.report(ch, st, outcome);
    return outcome;
  }

  /** Publishes the FAULT event (and, for a final outcome, the `maccor.watchdog_rest` result) of a rest. */
  private async report(ch: number, st: RestState, outcome: RestOutcome | 'retrying'): Promise<void> {
    const { info } = st;
    const code = info.why === 'watchdog' ? 'BB_MACCOR_WATCHDOG_EXPIRED' : info.why === 'shutdown' ? 'BB_MACCOR_SHUTDOWN_REST' : 'BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN';
    const cause = info.why === 'watchdog'
      ? `set-point watchdog: no set-point for channel ${ch} within ${this.device.directControl!.watchdogMs} ms (last command ${info.lastCommandId}, ${info.silenceMs} ms ago)`
      : info.why === 'shutdown'
        ? `collector shutting down: channel ${ch}`
        : info.why === 'unknown_outcome'
          ? `set-point ${info.lastCommandId} on channel ${ch} failed after it was sent (${info.cause}); the tester may or may not have applied it`
          : `channel ${ch} has no set-point the tester confirmed to refresh its MacNetDirectModeWD with`;
    const err = st.lastError;
    const what = {
      confirmed: `channel put to rest${st.attempts > 1 ? ` after ${st.attempts} attempts` : ''}`,
      not_direct: `the tester reports direct mode not active on the channel (${message(err)}): nothing to put to rest`,
      reset: 'the channel was reset (maccor.reset) before the tester confirmed the rest',
      abandoned: `putting the channel to rest FAILED ${st.attempts} time(s) and the collector stopped retrying at shutdown (last error: ${message(err)}); THE CHANNEL MAY STILL BE ENERGISED: check it at the tester`,
      retrying: `putting the channel to rest FAILED: ${message(err)}; retrying until the tester confirms it (direct control refused on the channel meanwhile)`,
    }[outcome];
    const reason = `${cause}; ${what}`;
    const ok = outcome === 'confirmed';
    const details: Record<string, string> = {
      watchdog_ms: String(this.device.directControl?.watchdogMs ?? ''),
      ...(info.silenceMs !== undefined ? { silence_ms: String(info.silenceMs) } : {}),
      last_command_id: info.lastCommandId,
      session_command_id: info.sessionCommandId,
      rest_applied: String(ok),
      rest_attempts: String(st.attempts),
      rest_outcome: outcome,
      ...(err !== undefined && !ok ? { rest_error_code: errorCode(err) } : {}),
    };
    if (outcome === 'abandoned') this.log.error({ channel: ch, why: info.why, attempts: st.attempts, code: errorCode(err) }, `REST NOT CONFIRMED AT SHUTDOWN: ${reason}`);
    else this.log.warn({ channel: ch, why: info.why, outcome }, reason);
    const at = new Date(this.clock.nowMs());
    const state = { confirmed: 'rest', not_direct: 'not_direct', reset: 'reset', abandoned: 'unknown', retrying: 'unknown' }[outcome];
    try {
      await this.sinks.publishEvent({ event_id: randomUUID(), device_id: this.device.id, protocol: PROTOCOL, channel: ch, timestamp: at, kind: 'FAULT', previous_state: 'direct_control', state, reason, error_code: code, details });
    } catch (e) {
      this.log.error({ err: e, channel: ch }, 'could not publish the rest event');
    }
    if (outcome === 'retrying') return;
    await this.sinks.publishResult({ command_id: `${info.why}-${randomUUID()}`, device_id: this.device.id, channel: ch, action: 'maccor.watchdog_rest', status: outcome === 'abandoned' ? 'FAILED' : 'EXECUTED', reason_code: code, reason, timestamp: at, details });
  }

  /** Whether `ch` may be refreshed now: nothing in flight, held, resting or suspended. */
  private refreshable(ch: number): boolean {
    return !this.inflight.has(ch) && !this.pending.has(ch) && !this.restPending.has(ch) && !this.paused.has(ch);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAtMs = undefined;
    if (this.stopped) return;
    this.watchdog?.poll();
    if (this.refreshMs !== undefined) {
      const now = this.clock.nowMs();
      for (const [ch, session] of this.sessions) {
        if (!this.refreshable(ch)) continue;
        if (now - (this.lastWireMs.get(ch) ?? now) < this.refreshMs) continue;
        if (this.client.lastDirectSetpoint(ch) === undefined) {
          // the last (6,8) failed or went unanswered: refresh with a rest, never with an older set-point
          void this.restChannel(ch, { why: 'no_setpoint', voltage_v: session.envelope.max_voltage_v, lastCommandId: session.lastCommandId, sessionCommandId: session.startedBy, silenceMs: undefined, cause: undefined });
          continue;
        }
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

  /**
   * Arms the timer for the next watchdog deadline or tester-watchdog refresh. A channel that is not
   * refreshable now (request in flight...) adds no deadline: it is rescheduled when that ends, so the
   * timer never spins while a request is in flight.
   */
  private schedule(): void {
    if (this.stopped) return;
    const candidates = [this.watchdog?.nextDeadlineMs()];
    if (this.refreshMs !== undefined) {
      for (const ch of this.sessions.keys()) if (this.refreshable(ch)) candidates.push((this.lastWireMs.get(ch) ?? this.clock.nowMs()) + this.refreshMs);
    }
    const next = candidates.filter((x): x is number => x !== undefined).reduce<number | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
    if (next === undefined) return;
    if (this.timer && this.timerAtMs !== undefined && this.timerAtMs <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = next;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - this.clock.nowMs()));
  }

  /**
   * Stops the timers and puts every direct-controlled channel to rest, retrying every unconfirmed rest
   * until `directControl.shutdownRestTimeoutMs`; rests still unconfirmed then are given up, each
   * logged as an error and reported (FAULT event, FAILED `maccor.watchdog_rest` result).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const ch of [...this.sessions.keys()]) void this.expire(ch, 'shutdown');
    const rests = [...this.restPending.values()].map((st) => st.done.catch(() => undefined));
    if (rests.length > 0) {
      const deadlineMs = this.device.directControl?.shutdownRestTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([Promise.all(rests).then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), deadlineMs)))]);
      clearTimeout(timer);
      if (timedOut) {
        this.abandoned = true;
        this.wakeAll();
        await Promise.all(rests);
      }
    }
    await Promise.all([...this.inflight.values()].map((c) => c.catch(() => undefined)));
    for (const t of this.pumpTimers.values()) clearTimeout(t);
    this.pumpTimers.clear();
  }
}
