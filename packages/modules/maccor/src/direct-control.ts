/**
 * Maccor direct control and the execution of `maccor.*` commands on one tester, in the process that
 * owns the tester's connection (the Maccor collector; the commander routes, see device-config.ts).
 * One {@link DirectControl} per tester lives across sessions (a reconnect does not end direct
 * control: the watchdog keeps running and a rest goes out on whatever session is open next); every
 * channel has one state object ({@link ChannelControl}).
 *
 * - **Pacing** (`@busbar/core` `NewestWinsPacer`, key = channel): (6,8) set-points at least
 *   `minIntervalMs` (≥ 100 ms) apart per channel (Maccor MacNet reference §8.6), measured from the
 *   previous (6,8)'s *reply* (the tester applied it before it replied, so the tester sees ≥
 *   `minIntervalMs` between them). One (6,8) in flight per channel and one held slot: a set-point
 *   arriving sooner is held; a newer one replaces it (newest wins) and the replaced command is
 *   REJECTED with `BB_MACCOR_SETPOINT_SUPERSEDED` naming the newer command (exactly one result
 *   each), so a backlog never builds up. (6,7) counts as the channel's first set-point; rests and
 *   tester-watchdog refreshes take the channel's slot too.
 * - **Envelope**: checked by the pure validation (actions.ts) before the command reaches this
 *   object (never sent when refused).
 * - **Set-point watchdog** (driver `SetpointWatchdog`): each set-point command feeds its channel;
 *   when the controller sends nothing for `directControl.watchdogMs`, the channel is put to rest
 *   ((6,8) ChMode R, 0 A) and a FAULT DeviceEvent plus a `maccor.watchdog_rest` CommandResult say why
 *   (`BB_MACCOR_WATCHDOG_EXPIRED`). The session ends; the channel needs `maccor.reset` before a new
 *   `maccor.start_direct_control`.
 * - **Rest until confirmed**: a rest (watchdog, shutdown, or after a set-point whose outcome is
 *   unknown) is retried with capped exponential backoff (`@busbar/core` `backoffDelayMs`, 250 ms
 *   doubling to 5 s, no jitter) until the tester answers OK (or says direct mode is not active on the
 *   channel, Result 1/2/4: nothing left to rest, or a `maccor.reset` of the channel succeeds) —
 *   across reconnects: with no session open an attempt fails `not_sent` and is retried. Meanwhile the
 *   channel is "rest pending": `maccor.start_direct_control` and `maccor.set_direct_output` on it are
 *   REJECTED with `BB_MACCOR_REST_PENDING`, and a FAULT event says so after the first failed attempt.
 *   The final outcome is one `maccor.watchdog_rest` result and one FAULT event.
 * - **Unknown outcome**: a (6,8) that fails after it was written (the error's outcome is `unknown`:
 *   timeout, connection lost...) may or may not have been applied; the channel is put to rest
 *   (`BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN`), the direct-control session stays open, and the client no
 *   longer holds a set-point to refresh (an older set-point is never re-sent over a newer one the
 *   tester may have applied).
 * - **Tester watchdog** (`MacNetDirectModeWD`, reference §8.5; `directControl.testerWatchdogS` is
 *   required, a loud warning when 0): when > 0 the last set-point the tester confirmed is re-sent every
 *   third of it, so the tester suspends the channel by itself if this process dies. A channel with a
 *   request in flight, a held set-point, a pending rest or a suspend is not refreshed; with no confirmed
 *   set-point (or a new session that has none) the refresh is a rest.
 * - **Suspend**: `maccor.suspend` drops the held set-point (REJECTED `BB_MACCOR_SETPOINT_SUPERSEDED`
 *   naming the suspend), waits for the one in flight and pauses refreshes until `maccor.resume`.
 * - **Expiry at the wire**: every command is checked against its `expires_at` when its first request
 *   reaches the wire (after any wait in pacing or in the client's queue) and again before the final
 *   (6,2)/(6,7) of a start; an expired command is EXPIRED and nothing more is sent.
 * - **Outcome on the error**: the driver's errors carry their outcome (a tester refusal is `refused`
 *   → REJECTED; a start, set-variable or reset unanswered after it was written is `unknown`); this
 *   object adds none of its own guessing. Its own refusals are {@link CommandRefusedError}s.
 * - On shutdown ({@link DirectControl.stop}) every session's channel is put to rest
 *   (`BB_MACCOR_SHUTDOWN_REST`), retried until `directControl.shutdownRestTimeoutMs`; a rest still
 *   unconfirmed then is logged as an error and reported by a FAULT event (state `unknown`).
 */
import { randomUUID } from 'node:crypto';
import { CommandRefusedError } from '@busbar/safety';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, NewestWinsPacer, backoffDelayMs, errorCode, errorOutcome, noopLogger, sleep, systemClock } from '@busbar/core';
import type { Command, CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { MaccorCommandRejectedError, MaccorError, SetpointWatchdog } from '@busbar/driver-maccor-macnet';
import type { ChannelEnvelope, DirectSetpoint, MaccorClient } from '@busbar/driver-maccor-macnet';
import type { MaccorOperation } from './actions.js';
import type { MaccorDeviceConfig } from './device-config.js';
import { PROTOCOL } from './records.js';

/** Where direct control reports what it does on its own (watchdog, shutdown). */
export interface DirectControlSinks {
  publishEvent(e: DeviceEventInput): Promise<void>;
  publishResult(r: CommandResultInput): Promise<void>;
}

/** The wire check of one command: called when its request reaches the wire (the driver's `WireGuard`). */
type WireGuard = { readonly beforeWrite?: () => void };

/** A direct-control session of one channel (from `maccor.start_direct_control` to its end). */
interface DirectSession {
  readonly startedBy: string;
  readonly envelope: ChannelEnvelope;
  lastCommandId: string;
  lastFedMs: number;
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

/** Everything this object keeps about one channel (pacing state is the pacer's, keyed by channel). */
interface ChannelControl {
  /** The direct-control session, while one is active. */
  session: DirectSession | undefined;
  /** Suspended by `maccor.suspend`: not refreshed until `maccor.resume`. */
  paused: boolean;
  /** The rest the tester has not confirmed yet. */
  rest: RestState | undefined;
}

/** A held set-point: the pacer's value. */
interface HeldSetpoint {
  readonly cmd: Command;
  readonly setpoint: DirectSetpoint;
  readonly guard: WireGuard;
  readonly resolve: (details: Record<string, string>) => void;
  readonly reject: (err: unknown) => void;
}

/** (6,8) Results meaning the channel is not under direct output (1 system type, 2 not active, 4 direct mode not active; reference §6.10). */
const NOT_DIRECT_RESULTS = new Set<string | number>([1, 2, 4, '1', '2', '4']);
/** Backoff of rest attempts: 250 ms doubling to 5 s, no jitter. */
const REST_BACKOFF = { initialDelayMs: 250, maxDelayMs: 5000, jitter: 0 } as const;
/** How many `supersededBy` entries are kept (oldest forgotten first). */
export const SUPERSEDED_MEMORY = 1000;
/** Result codes of (6,8) worth a retry after the pacing interval: 3 too fast, 5 not ready yet (reference §6.10, §8.6). */
const RETRY_RESULTS = new Set<string | number>([3, 5, '3', '5']);
const MAX_RETRIES = 5;
/** While no session is open, how often a due tester-watchdog refresh looks for one again, ms. */
const DISCONNECTED_RECHECK_MS = 250;

/** Whether a failed (6,8) may have been applied by the tester: anything but a refusal or an error that says nothing was sent. */
function outcomeUnknown(err: unknown): boolean {
  if (err instanceof CommandRefusedError) return false; // refused before anything was written (expiry)
  const outcome = errorOutcome(err);
  return outcome !== 'not_sent' && outcome !== 'refused';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeSetpoint(sp: DirectSetpoint): Record<string, string> {
  const d: Record<string, string> = { mode: sp.mode };
  if (sp.current_a !== undefined) d.current_a = String(sp.current_a);
  if (sp.voltage_v !== undefined) d.voltage_v = String(sp.voltage_v);
  if (sp.power_w !== undefined) d.power_w = String(sp.power_w);
  return d;
}

/** Direct control and command execution of one tester (see module doc). */
export class DirectControl {
  private readonly channels = new Map<number, ChannelControl>();
  private readonly pacer: NewestWinsPacer<number, HeldSetpoint>;
  private readonly supersededBy = new Map<string, string>();
  /** Aborted to wake the backoff sleeps of rest loops (on reset, and when shutdown gives up). */
  private wake = new AbortController();
  private readonly watchdog: SetpointWatchdog | undefined;
  private readonly minIntervalMs: number;
  private readonly refreshMs: number | undefined;
  private readonly clock: Clock;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAtMs: number | undefined;
  private stopped = false;
  /** Set when shutdown gives up on unconfirmed rests. */
  private abandoned = false;
  private readonly log: Logger;
  private readonly m;

  /**
   * @param device - the tester's configuration (`directControl` enables direct control).
   * @param client - the client of the tester's open session, or undefined while it is down (a rest
   *   is then retried until one is open; commands never get here without a session).
   * @param sinks - publishes this object's own events and results.
   */
  constructor(
    private readonly device: MaccorDeviceConfig,
    private readonly client: () => MaccorClient | undefined,
    private readonly sinks: DirectControlSinks,
    deps: { readonly logger?: Logger; readonly metrics: Metrics; readonly clock?: Clock },
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? noopLogger).child({ device: device.id });
    this.minIntervalMs = Math.max(100, device.directControl?.minIntervalMs ?? 100);
    const dc = device.directControl;
    this.watchdog = dc ? new SetpointWatchdog(this.clock, { timeoutMs: dc.watchdogMs, onExpire: (ch) => void this.expire(ch, 'watchdog') }) : undefined;
    this.refreshMs = dc && dc.testerWatchdogS > 0 ? Math.max(this.minIntervalMs, (dc.testerWatchdogS * 1000) / 3) : undefined;
    if (dc && dc.testerWatchdogS === 0) {
      this.log.error({ field: 'directControl.testerWatchdogS' }, `DIRECT CONTROL WITHOUT THE TESTER WATCHDOG: ${device.id} has directControl.testerWatchdogS = 0 (MacNetDirectModeWD off); if this collector dies, a direct-controlled channel keeps its last set-point until someone resets it. Enable MacNetDirectModeWD in the tester's System.ini and set testerWatchdogS to it.`);
    }
    this.pacer = new NewestWinsPacer<number, HeldSetpoint>({
      minIntervalMs: this.minIntervalMs,
      clock: this.clock,
      send: (item) => this.send(item.key, item.value),
      onIdle: () => {
        if (!this.stopped) this.schedule(); // the channel's refresh was not scheduled while a request was in flight
      },
    });
    this.m = {
      setpoints: deps.metrics.counter({ name: 'busbar_maccor_setpoints_total', help: 'Direct-output set-points by outcome (sent, superseded, failed, dropped).', labelNames: ['device', 'outcome'] }),
      trips: deps.metrics.counter({ name: 'busbar_maccor_watchdog_trips_total', help: 'Channels put to rest by the set-point watchdog.', labelNames: ['device'] }),
      refreshes: deps.metrics.counter({ name: 'busbar_maccor_setpoint_refreshes_total', help: 'Set-points re-sent to keep the tester\'s MacNetDirectModeWD fed.', labelNames: ['device'] }),
      restAttempts: deps.metrics.counter({ name: 'busbar_maccor_rest_attempts_total', help: 'Attempts to put a channel to rest (watchdog, shutdown, unknown outcome) by outcome (ok, failed).', labelNames: ['device', 'outcome'] }),
      sessions: deps.metrics.gauge({ name: 'busbar_maccor_direct_sessions', help: 'Channels under direct control.', labelNames: ['device'] }),
      restsPending: deps.metrics.gauge({ name: 'busbar_maccor_rests_pending', help: 'Channels whose rest the tester has not confirmed yet.', labelNames: ['device'] }),
    };
  }

  private ch(channel: number): ChannelControl {
    let c = this.channels.get(channel);
    if (c === undefined) {
      c = { session: undefined, paused: false, rest: undefined };
      this.channels.set(channel, c);
    }
    return c;
  }

  private countGauges(): void {
    const all = [...this.channels.values()];
    this.m.sessions.set({ device: this.device.id }, all.filter((c) => c.session !== undefined).length);
    this.m.restsPending.set({ device: this.device.id }, all.filter((c) => c.rest !== undefined).length);
  }

  /** Channels under direct control now. */
  directChannels(): number[] {
    return [...this.channels].filter(([, c]) => c.session !== undefined).map(([n]) => n);
  }

  /** Channels whose rest the tester has not confirmed yet. */
  restPendingChannels(): number[] {
    return [...this.channels].filter(([, c]) => c.rest !== undefined).map(([n]) => n);
  }

  /** The command that superseded `commandId`, if it was superseded (the last {@link SUPERSEDED_MEMORY} are kept). */
  supersededByOf(commandId: string): string | undefined {
    return this.supersededBy.get(commandId);
  }

  private connected(): MaccorClient {
    const c = this.client();
    if (c === undefined) throw new MaccorError('BB_MACCOR_CONNECTION_LOST', `tester ${this.device.id} has no open MacNet session; nothing was sent`, { retriable: true, outcome: 'not_sent' });
    return c;
  }

  private restPendingRefusal(channel: number): CommandRefusedError {
    const st = this.ch(channel).rest!;
    return new CommandRefusedError('BB_MACCOR_REST_PENDING', `channel ${channel} of ${this.device.id} is being put to rest (${st.info.why.replace('_', ' ')}) and the tester has not confirmed it yet (${st.attempts} attempt(s)); direct control is refused until it does; not sent`, { channel, rest_attempts: st.attempts });
  }

  /**
   * Runs a validated `op` for `cmd` (see module doc).
   *
   * @param beforeSend - the command's expiry check, run when its request reaches the wire.
   * @returns result details.
   * @throws {CommandRefusedError} `BB_MACCOR_NOT_IN_DIRECT_MODE` (set-point without a session),
   *   `BB_MACCOR_DIRECT_SESSION_ACTIVE`, `BB_MACCOR_REST_PENDING`, `BB_MACCOR_SETPOINT_SUPERSEDED`,
   *   `BB_COMMAND_EXPIRED` (expired while it waited: nothing sent); the driver's errors with their
   *   outcome (a tester refusal is `refused`, an unanswered command `unknown`);
   *   `BB_MACCOR_DIRECT_SESSION_ENDED` (a held set-point whose session ended).
   */
  async run(op: MaccorOperation, cmd: Command, beforeSend: () => void): Promise<Record<string, string>> {
    const channel = op.channel;
    const c = this.ch(channel);
    const guard: WireGuard = { beforeWrite: beforeSend };
    switch (op.kind) {
      case 'start_test': {
        const o = await this.connected().startTest(channel, { testName: op.testName, procName: op.procName, comment: op.comment, crate: op.crate, safety: op.safety, preflight: op.preflight, ...guard });
        return { channel: String(channel), test_name: o.testName, was_reset: String(o.wasReset), checks_run: o.checksRun.join('; '), checks_skipped: o.checksSkipped.join('; '), safety_echo: JSON.stringify(o.safetyEcho) };
      }
      case 'set_variable':
        await this.connected().setVariable(channel, op.varNum, op.value, guard);
        return { channel: String(channel), var_num: String(op.varNum), value: String(op.value) };
      case 'suspend': {
        // like reset: the held set-point never goes out, the one in flight finishes first, no refresh resumes the channel
        c.paused = true;
        for (const held of this.pacer.drop(channel)) this.supersede(held.value, cmd.command_id, `set-point superseded by maccor.suspend (command ${cmd.command_id}) before it was sent; not applied`);
        await this.pacer.idle(channel);
        try {
          await this.connected().suspend(channel, guard);
        } catch (err) {
          if (err instanceof CommandRefusedError || err instanceof MaccorCommandRejectedError) c.paused = false; // nothing changed: keep refreshing
          throw err;
        }
        return { channel: String(channel) };
      }
      case 'resume':
        await this.connected().resume(channel, guard);
        c.paused = false;
        this.schedule();
        return { channel: String(channel) };
      case 'reset': {
        const ended = this.endSession(channel, `reset by command ${cmd.command_id}`);
        await this.pacer.idle(channel);
        await this.connected().reset(channel, guard);
        if (c.rest) {
          c.rest.cancelled = true; // the channel is out of direct mode: nothing left to rest
          this.wakeAll();
        }
        return { channel: String(channel), direct_session_ended: String(ended) };
      }
      case 'start_direct_control': {
        if (c.rest) throw this.restPendingRefusal(channel);
        if (c.session) throw new CommandRefusedError('BB_MACCOR_DIRECT_SESSION_ACTIVE', `channel ${channel} of ${this.device.id} is already under direct control (started by command ${c.session.startedBy})`, { channel });
        const o = await this.connected().startDirectControl(channel, { safety: op.safety, initial: op.initial, testName: op.testName, ...guard });
        const now = this.clock.nowMs();
        this.pacer.complete(channel, now); // (6,7) counts as the channel's last set-point for pacing
        c.session = { startedBy: cmd.command_id, envelope: op.envelope, lastCommandId: cmd.command_id, lastFedMs: now };
        c.paused = false;
        this.countGauges();
        this.watchdog?.feed(channel);
        this.schedule();
        return { channel: String(channel), test_name: op.testName, was_reset: String(o.wasReset), safety_echo: JSON.stringify(o.safetyEcho), watchdog_ms: String(this.device.directControl?.watchdogMs ?? '') };
      }
      case 'set_direct_output':
        return this.offer(channel, cmd, op.setpoint, guard);
    }
  }

  /** Rejects `held` as superseded by `byCommandId` (its one result), remembering who superseded it. */
  private supersede(held: HeldSetpoint, byCommandId: string, text: string): void {
    this.supersededBy.set(held.cmd.command_id, byCommandId);
    while (this.supersededBy.size > SUPERSEDED_MEMORY) this.supersededBy.delete(this.supersededBy.keys().next().value!);
    this.m.setpoints.inc({ device: this.device.id, outcome: 'superseded' });
    held.reject(new CommandRefusedError('BB_MACCOR_SETPOINT_SUPERSEDED', text, { channel: held.cmd.target.channel, superseded_by: byCommandId }));
  }

  private offer(channel: number, cmd: Command, setpoint: DirectSetpoint, guard: WireGuard): Promise<Record<string, string>> {
    const c = this.ch(channel);
    if (c.rest) return Promise.reject(this.restPendingRefusal(channel));
    if (!c.session) return Promise.reject(new CommandRefusedError('BB_MACCOR_NOT_IN_DIRECT_MODE', `channel ${channel} of ${this.device.id} has no direct-control session; send maccor.start_direct_control first (after maccor.reset if the watchdog ended the last one)`, { channel }));
    c.session.lastCommandId = cmd.command_id;
    c.session.lastFedMs = this.clock.nowMs();
    this.watchdog?.feed(channel);
    this.schedule();
    return new Promise((resolve, reject) => {
      const replaced = this.pacer.submit(channel, { cmd, setpoint, guard, resolve, reject }, { commandId: cmd.command_id });
      if (replaced) this.supersede(replaced.superseded.value, cmd.command_id, `set-point superseded by command ${cmd.command_id} before it was sent (set-points are paced ≥ ${this.minIntervalMs} ms apart per channel; the newest wins); not applied`);
    });
  }

  /** Sends one (6,8) on the channel's slot (held by the caller), retrying "too fast"/"not ready" (Result 3/5) one interval after each. */
  private async wire(channel: number, sp: DirectSetpoint, guard: WireGuard = {}): Promise<number> {
    for (let retries = 0; ; retries++) {
      try {
        await this.connected().setDirectOutput(channel, sp, guard);
        return retries;
      } catch (err) {
        if (!(err instanceof MaccorCommandRejectedError && RETRY_RESULTS.has(err.result) && retries < MAX_RETRIES)) throw err;
        await sleep(this.minIntervalMs); // spaced from the refusal's reply
      }
    }
  }

  /** The pacer's send: one held set-point on its channel. */
  private async send(channel: number, held: HeldSetpoint): Promise<void> {
    const c = this.ch(channel);
    const session = c.session;
    if (!session || c.rest) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      held.reject(c.rest ? this.restPendingRefusal(channel) : new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${channel}: the direct-control session ended before this set-point could be sent; not applied`, { context: { channel } }));
      return;
    }
    try {
      const retries = await this.wire(channel, held.setpoint, held.guard);
      this.m.setpoints.inc({ device: this.device.id, outcome: 'sent' });
      held.resolve({ channel: String(channel), ...describeSetpoint(held.setpoint), ...(retries > 0 ? { retries: String(retries) } : {}) });
    } catch (err) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'failed' });
      if (outcomeUnknown(err)) {
        // the tester may hold this set-point or the previous one: rest the channel rather than guess
        void this.restChannel(channel, { why: 'unknown_outcome', voltage_v: session.envelope.max_voltage_v, lastCommandId: held.cmd.command_id, sessionCommandId: session.startedBy, silenceMs: undefined, cause: `${errorCode(err)}: ${message(err)}` });
      }
      held.reject(err);
    }
  }

  /** Ends the direct-control session of `channel` (held set-point dropped). @returns whether there was one. */
  private endSession(channel: number, why: string): boolean {
    const c = this.ch(channel);
    const had = c.session !== undefined;
    c.session = undefined;
    c.paused = false;
    this.watchdog?.disarm(channel);
    for (const held of this.pacer.drop(channel)) {
      this.m.setpoints.inc({ device: this.device.id, outcome: 'dropped' });
      held.value.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${channel}: direct-control session ended (${why}) before this set-point could be sent; not applied`, { context: { channel } }));
    }
    this.countGauges();
    return had;
  }

  /** Puts a session's channel to rest (watchdog expiry or shutdown), ending the session; reports it. */
  private expire(channel: number, why: 'watchdog' | 'shutdown'): Promise<RestOutcome | undefined> {
    const session = this.ch(channel).session;
    if (!session) return Promise.resolve(undefined);
    const silenceMs = this.clock.nowMs() - session.lastFedMs;
    this.endSession(channel, why === 'watchdog' ? 'set-point watchdog' : 'collector shutdown');
    if (why === 'watchdog') this.m.trips.inc({ device: this.device.id });
    return this.restChannel(channel, { why, voltage_v: session.envelope.max_voltage_v, lastCommandId: session.lastCommandId, sessionCommandId: session.startedBy, silenceMs, cause: undefined });
  }

  /**
   * Marks `channel` rest-pending (held set-point refused) and retries a rest (6,8) until the tester
   * confirms it (see module doc). A channel already resting keeps its first rest.
   */
  private restChannel(channel: number, info: RestInfo): Promise<RestOutcome> {
    const c = this.ch(channel);
    if (c.rest) return c.rest.done;
    const st: RestState = { info, attempts: 0, cancelled: false, lastError: undefined, done: Promise.resolve<RestOutcome>('confirmed') };
    c.rest = st;
    this.countGauges();
    for (const held of this.pacer.drop(channel)) held.value.reject(this.restPendingRefusal(channel)); // nothing may overtake the rest
    st.done = this.restLoop(channel, st).finally(() => {
      if (c.rest === st) c.rest = undefined;
      this.countGauges();
      this.schedule();
    });
    return st.done;
  }

  /** Takes the channel's slot for a send outside the queue (a rest): waits for the one in flight and the spacing. */
  private async takeSlot(channel: number): Promise<void> {
    for (;;) {
      await this.pacer.idle(channel);
      const wait = this.pacer.earliestSendMs(channel) - this.clock.nowMs();
      if (wait > 0 && Number.isFinite(wait)) await sleep(wait);
      if (this.pacer.tryBegin(channel)) return;
    }
  }

  private async restLoop(channel: number, st: RestState): Promise<RestOutcome> {
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
      await this.takeSlot(channel);
      try {
        await this.wire(channel, rest);
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
      } finally {
        this.pacer.complete(channel);
      }
      const delayMs = backoffDelayMs(st.attempts - 1, REST_BACKOFF);
      this.log.error({ channel, why: st.info.why, attempt: st.attempts, code: errorCode(st.lastError), retryInMs: delayMs }, `could not put channel ${channel} to rest; retrying until the tester confirms it`);
      if (st.attempts === 1) await this.report(channel, st, 'retrying');
      await sleep(delayMs, this.wake.signal);
    }
    await this.report(channel, st, outcome);
    return outcome;
  }

  private wakeAll(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** Publishes the FAULT event (and, for a final outcome, the `maccor.watchdog_rest` result) of a rest. */
  private async report(channel: number, st: RestState, outcome: RestOutcome | 'retrying'): Promise<void> {
    const { info } = st;
    const code = info.why === 'watchdog' ? 'BB_MACCOR_WATCHDOG_EXPIRED' : info.why === 'shutdown' ? 'BB_MACCOR_SHUTDOWN_REST' : 'BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN';
    const cause = info.why === 'watchdog'
      ? `set-point watchdog: no set-point for channel ${channel} within ${this.device.directControl!.watchdogMs} ms (last command ${info.lastCommandId}, ${info.silenceMs} ms ago)`
      : info.why === 'shutdown'
        ? `collector shutting down: channel ${channel}`
        : info.why === 'unknown_outcome'
          ? `set-point ${info.lastCommandId} on channel ${channel} failed after it was sent (${info.cause}); the tester may or may not have applied it`
          : `channel ${channel} has no set-point the tester confirmed to refresh its MacNetDirectModeWD with`;
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
    if (outcome === 'abandoned') this.log.error({ channel, why: info.why, attempts: st.attempts, code: errorCode(err) }, `REST NOT CONFIRMED AT SHUTDOWN: ${reason}`);
    else this.log.warn({ channel, why: info.why, outcome }, reason);
    const at = new Date(this.clock.nowMs());
    const state = { confirmed: 'rest', not_direct: 'not_direct', reset: 'reset', abandoned: 'unknown', retrying: 'unknown' }[outcome];
    try {
      await this.sinks.publishEvent({ event_id: randomUUID(), device_id: this.device.id, protocol: PROTOCOL, channel, timestamp: at, kind: 'FAULT', previous_state: 'direct_control', state, reason, error_code: code, details });
    } catch (e) {
      this.log.error({ err: e, channel }, 'could not publish the rest event');
    }
    if (outcome === 'retrying') return;
    try {
      await this.sinks.publishResult({ command_id: `${info.why}-${randomUUID()}`, device_id: this.device.id, channel, action: 'maccor.watchdog_rest', status: outcome === 'abandoned' ? 'FAILED' : 'EXECUTED', reason_code: code, reason, timestamp: at, details });
    } catch (e) {
      this.log.error({ err: e, channel }, 'could not publish the maccor.watchdog_rest result');
    }
  }

  /** Whether `channel` may be refreshed now: nothing in flight, held, resting or suspended. */
  private refreshable(channel: number): boolean {
    const c = this.ch(channel);
    return !this.pacer.isInFlight(channel) && !this.pacer.hasPending(channel) && c.rest === undefined && !c.paused;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAtMs = undefined;
    if (this.stopped) return;
    this.watchdog?.poll();
    if (this.refreshMs !== undefined) {
      const now = this.clock.nowMs();
      for (const [channel, c] of this.channels) {
        const session = c.session;
        if (!session || !this.refreshable(channel)) continue;
        if (now - (this.pacer.lastCompletedMs(channel) ?? now) < this.refreshMs) continue;
        const client = this.client();
        if (client !== undefined && client.lastDirectSetpoint(channel) === undefined) {
          // the last (6,8) failed or went unanswered (or a new session has none): refresh with a rest, never with an older set-point
          void this.restChannel(channel, { why: 'no_setpoint', voltage_v: session.envelope.max_voltage_v, lastCommandId: session.lastCommandId, sessionCommandId: session.startedBy, silenceMs: undefined, cause: undefined });
          continue;
        }
        if (client === undefined || !this.pacer.tryBegin(channel, now)) continue; // no session: the tester's watchdog will act
        void (async () => {
          try {
            await client.refreshDirectOutput(channel);
            this.m.refreshes.inc({ device: this.device.id });
          } catch (err) {
            this.log.warn({ channel, code: errorCode(err) }, 'could not refresh the direct-mode set-point for the tester watchdog');
          } finally {
            this.pacer.complete(channel);
          }
        })();
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
      const now = this.clock.nowMs();
      // with no session open a due refresh cannot go out: look again after a while instead of spinning
      const earliest = this.client() === undefined ? now + DISCONNECTED_RECHECK_MS : -Infinity;
      for (const [channel, c] of this.channels) if (c.session && this.refreshable(channel)) candidates.push(Math.max(earliest, (this.pacer.lastCompletedMs(channel) ?? now) + this.refreshMs));
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
    for (const channel of this.directChannels()) void this.expire(channel, 'shutdown');
    const rests = [...this.channels.values()].flatMap((c) => (c.rest ? [c.rest.done.catch(() => undefined)] : []));
    if (rests.length > 0) {
      const deadlineMs = this.device.directControl?.shutdownRestTimeoutMs ?? 10_000;
      const timeout = new AbortController();
      const timedOut = await Promise.race([Promise.all(rests).then(() => false), sleep(deadlineMs, timeout.signal).then(() => true)]);
      timeout.abort();
      if (timedOut) {
        this.abandoned = true;
        this.wakeAll();
        await Promise.all(rests);
      }
    }
    await this.pacer.idleAll();
    for (const held of this.pacer.close()) held.value.reject(new BusbarError('BB_MACCOR_DIRECT_SESSION_ENDED', `channel ${held.key}: the collector stopped before this set-point could be sent; not applied`, { context: { channel: held.key } }));
  }
}
