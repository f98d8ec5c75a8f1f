/**
 * The rig's controller: the interlock engine and the schedule runner of one rig, bound to the rig's
 * actuators (PCS writes, Arduino outputs) and to a timer. It lives as long as the collector process,
 * across sessions: a latched safe state survives a reconnect (and is enforced again on the new
 * session, {@link RigController.attach}).
 *
 * The interlock never waits on anything but the write it asks for: the actions of a step are queued
 * at once on two independent queues — the PCS (Modbus RTU) and the Arduino outputs (whose sketch
 * needs > 1 s between commands) — so a PCS-off never waits behind a relay command, and nothing here
 * touches Kafka (notices go to a sink that appends to the store-and-forward buffer).
 *
 * Manual and schedule writes queued before a state change check the interlock state again when
 * their turn comes (a set-point queued in normal is not written once the rig is dangerous), and a
 * failed interlock write in dangerous or safe (PCS off, relays open) is sent again with core backoff
 * until it succeeds or the state leaves dangerous/safe — "safe" means the writes were requested and
 * are being enforced, each outcome reported as an action notice.
 */
import type { Clock, Logger } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, noopLogger } from '@busbar/core';
import { RigError } from './errors.js';
import { envelopeViolation } from './interlock/config.js';
import type { InterlockConfig, PcsSetpoint } from './interlock/config.js';
import { InterlockEngine } from './interlock/engine.js';
import type { InterlockAction, InterlockStep, RigState, Transition } from './interlock/engine.js';
import type { Schedule } from './schedule/csv.js';
import { ScheduleRunner } from './schedule/runner.js';
import type { ScheduleEvent } from './schedule/runner.js';

/** What the controller drives; implemented by the session over the PCS and Arduino clients. */
export interface RigActuators {
  /** Writes the PCS op mode "off". */
  pcsOff(): Promise<void>;
  /** Writes the op mode, then the scaled set-point. */
  pcsSetpoint(setpoint: PcsSetpoint): Promise<void>;
  /** Switches named outputs (`pump`, `relay1`...), mapped to the Arduino's whitelisted pins. */
  setOutputs(outputs: Readonly<Record<string, boolean>>): Promise<void>;
}

/** A timer seam (tests drive it by hand). */
export interface Timer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the controller reports (the module turns each into a DeviceEvent). */
export type RigNotice =
  | { readonly kind: 'transition'; readonly transition: Transition; readonly wallMs: number }
  | { readonly kind: 'action'; readonly action: InterlockAction | { readonly kind: 'schedule_setpoint'; readonly setpoint: PcsSetpoint; readonly reason: string }; readonly ok: boolean; readonly error?: string; readonly errorCode?: string; readonly wallMs: number }
  | { readonly kind: 'schedule'; readonly schedule: string; readonly event: ScheduleEvent; readonly wallMs: number };

/** Options of a {@link RigController}. */
export interface RigControllerOptions {
  readonly interlock: InterlockConfig;
  /** Monotonic time source (interlock ages, delays, schedule steps). */
  readonly clock: Clock;
  /** Wall time for notices, ms since the epoch. */
  readonly wallClock: Clock;
  readonly timer: Timer;
  readonly logger?: Logger;
  /** Notices kept while no sink is attached (oldest dropped beyond). @default 1000 */
  readonly maxPendingNotices?: number;
}

/** See the file header. */
export class RigController {
  readonly engine: InterlockEngine;
  private actuators: RigActuators | undefined;
  private sink: ((n: RigNotice) => void) | undefined;
  private pending: RigNotice[] = [];
  private runner: ScheduleRunner | undefined;
  private handle: unknown;
  private pcsQueue: Promise<unknown> = Promise.resolve();
  private ioQueue: Promise<unknown> = Promise.resolve();
  /** The pending retry timer per actuator (dangerous/safe writes that failed). */
  private readonly retries = new Map<'pcs' | 'outputs', unknown>();
  /** Set by {@link stop}. */
  private stopped = false;
  private readonly logger: Logger;

  constructor(private readonly options: RigControllerOptions) {
    this.engine = new InterlockEngine(options.interlock); // staleness counts from the first session (attach)
    this.logger = options.logger ?? noopLogger;
    this.arm();
  }

  /** The interlock state. */
  get state(): RigState {
    return this.engine.state;
  }

  /** The schedule being run, and where. */
  get schedule(): { readonly name: string; readonly status: string; readonly step: number } | undefined {
    return this.runner && { name: this.runner.schedule.name, status: this.runner.status, step: this.runner.stepIndex };
  }

  /**
   * Binds the actuators of a new session. The first one starts the interlock's staleness clock (an
   * input never seen is stale its age after that, not after the links took their time to open). In
   * dangerous or safe, the safe state is enforced on it at once (PCS off, relays open, the safe
   * outputs): whatever happened while no session existed.
   */
  attach(actuators: RigActuators): void {
    this.actuators = actuators;
    this.stopped = false; // a controller is kept per device for the process: a collector started again uses it again
    this.engine.start(this.options.clock.nowMs());
    this.arm();
    const s = this.engine.state;
    if (s === 'dangerous' || s === 'safe') {
      this.run([
        { kind: 'pcs_off', reason: `${s} enforced on a new session` },
        { kind: 'outputs', outputs: this.safeOutputs(), reason: `${s} enforced on a new session` },
      ]);
    }
  }

  /**
   * Unbinds the actuators (the session ended; its close switches the PCS off): a running schedule
   * is stopped, and actions until the next attach fail as not sent and are reported.
   */
  detach(actuators: RigActuators): void {
    if (this.actuators !== actuators) return;
    this.actuators = undefined;
    this.clearRetries(); // the next attach enforces the safe state itself
    if (this.runner) this.scheduleEvents(this.runner.stop(this.options.clock.nowMs(), 'session ended (PCS switched off)'), false);
    this.arm();
  }

  /** Where notices go (the collector's store-and-forward path); pending ones are delivered first. */
  setSink(sink: ((n: RigNotice) => void) | undefined): void {
    this.sink = sink;
    if (sink) {
      const pending = this.pending;
      this.pending = [];
      for (const n of pending) sink(n);
    }
  }

  /**
   * Feeds one input's values (see {@link InterlockEngine.update}) and acts on the result at once.
   * An input the interlock was not configured for is logged and ignored.
   */
  input(input: string, values: Readonly<Record<string, number>>): void {
    if (!this.engine.knows(input)) {
      this.logger.debug({ input }, 'values of an input the interlock does not watch');
      return;
    }
    this.applyStep(this.engine.update(input, values, this.options.clock.nowMs()));
  }

  /**
   * rig.reset_latch. @throws {RigError} `BB_RIG_RESET_REFUSED` (see {@link InterlockEngine.reset}).
   * @returns the state after the reset.
   */
  reset(): RigState {
    this.applyStep(this.engine.reset(this.options.clock.nowMs()));
    return this.engine.state;
  }

  /**
   * Starts a schedule (any running one is stopped first).
   *
   * @throws {RigError} `BB_RIG_STATE_REFUSED` unless normal; `BB_RIG_SCHEDULE_INVALID` for a step
   *   outside the envelope (checked again).
   */
  startSchedule(schedule: Schedule, repeat: boolean): void {
    this.requireState(['normal'], 'start a schedule');
    for (const s of schedule.steps) {
      const v = envelopeViolation(s.setpoint, this.options.interlock.envelope);
      if (v) throw new RigError('BB_RIG_SCHEDULE_INVALID', `schedule ${schedule.name} line ${s.line}: ${v}`);
    }
    const now = this.options.clock.nowMs();
    if (this.runner) this.scheduleEvents(this.runner.stop(now, 'replaced by a new schedule'), false);
    this.runner = new ScheduleRunner(schedule, { repeat });
    this.scheduleEvents(this.runner.start(now));
    this.arm();
  }

  /** Stops the running schedule and switches the PCS off. @returns whether one was running. */
  stopSchedule(): boolean {
    const events = this.runner?.stop(this.options.clock.nowMs(), 'rig.stop_schedule') ?? [];
    this.scheduleEvents(events);
    this.arm();
    return events.length > 0;
  }

  /**
   * A manual PCS set-point (rig.pcs_setpoint), written now.
   *
   * @throws {RigError} `BB_RIG_STATE_REFUSED` unless normal, or while a schedule runs; the actuator's error.
   */
  async pcsSetpoint(setpoint: PcsSetpoint, beforeSend: () => void = () => undefined): Promise<void> {
    this.requireState(['normal'], 'set a PCS set-point');
    if (this.runner?.status === 'running' || this.runner?.status === 'paused') throw new RigError('BB_RIG_STATE_REFUSED', `schedule ${this.runner.schedule.name} is running; stop it first (rig.stop_schedule)`);
    const v = envelopeViolation(setpoint, this.options.interlock.envelope);
    if (v) throw new RigError('BB_RIG_STATE_REFUSED', v);
    await this.enqueuePcs(async (act) => {
      this.recheck(['normal'], 'set a PCS set-point');
      beforeSend();
      await act.pcsSetpoint(setpoint);
    });
  }

  /** PCS off now (rig.pcs_setpoint mode off): allowed in every state; stops a running schedule. */
  async pcsOff(beforeSend: () => void = () => undefined): Promise<void> {
    if (this.runner) this.scheduleEvents(this.runner.stop(this.options.clock.nowMs(), 'rig.pcs_setpoint off'), false);
    this.arm();
    await this.enqueuePcs(async (act) => {
      beforeSend();
      await act.pcsOff();
    });
  }

  /**
   * Manual outputs (rig.set_outputs), written now.
   *
   * @throws {RigError} `BB_RIG_STATE_REFUSED` in dangerous or safe; the actuator's error.
   */
  async setOutputs(outputs: Readonly<Record<string, boolean>>, beforeSend: () => void = () => undefined): Promise<void> {
    this.requireState(['normal', 'warning'], 'switch outputs');
    await this.enqueueIo(async (act) => {
      this.recheck(['normal', 'warning'], 'switch outputs');
      beforeSend();
      await act.setOutputs(outputs);
    });
  }

  /** Stops the timers for good (the process ends): nothing re-arms them afterwards. */
  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.options.timer.clearTimeout(this.handle);
    this.handle = undefined;
    this.clearRetries();
  }

  private clearRetries(): void {
    for (const h of this.retries.values()) this.options.timer.clearTimeout(h);
    this.retries.clear();
  }

  /** The outputs of the safe state: the configured safe outputs with every relay to open switched off. */
  safeOutputs(): Record<string, boolean> {
    const a = this.options.interlock.actions;
    return { ...a.safe.outputs, ...Object.fromEntries(a.dangerous.openRelays.map((r) => [r, false])) };
  }

  /**
   * The state check of a queued write, when its turn comes: the state may have changed while it
   * waited. @throws {RigError} `BB_RIG_STATE_REFUSED` (a refusal: nothing was sent).
   */
  private recheck(allowed: readonly RigState[], what: string): void {
    const s = this.engine.state;
    if (!allowed.includes(s)) throw new RigError('BB_RIG_STATE_REFUSED', `cannot ${what}: the interlock became ${s} while the write waited; nothing was sent`, { state: s });
  }

  private requireState(allowed: readonly RigState[], what: string): void {
    const s = this.engine.state;
    if (!allowed.includes(s)) throw new RigError('BB_RIG_STATE_REFUSED', `cannot ${what} while the interlock is ${s}${s === 'safe' ? ' (rig.reset_latch first)' : ''}`, { state: s });
  }

  private notify(n: RigNotice): void {
    if (this.sink) {
      this.sink(n);
      return;
    }
    this.pending.push(n);
    const max = this.options.maxPendingNotices ?? 1000;
    if (this.pending.length > max) this.pending.splice(0, this.pending.length - max);
  }

  private applyStep(step: InterlockStep): void {
    const wallMs = this.options.wallClock.nowMs();
    // actions first: the PCS-off write leaves before anything is reported
    this.run(step.actions);
    for (const t of step.transitions) this.notify({ kind: 'transition', transition: t, wallMs });
    if (step.transitions.length > 0 && this.runner) this.scheduleEvents(this.runner.follow(this.engine.state, this.options.clock.nowMs()));
    this.arm();
  }

  private run(actions: readonly InterlockAction[], attempt = 0): void {
    // only writes issued in dangerous or safe are enforced again after a failure
    const issuedInSafety = this.inSafety();
    for (const action of actions) {
      const exec = (act: RigActuators): Promise<void> => (action.kind === 'pcs_off' ? act.pcsOff() : action.kind === 'pcs_setpoint' ? act.pcsSetpoint(action.setpoint) : act.setOutputs(action.outputs));
      const queued = action.kind === 'outputs' ? this.enqueueIo(exec) : this.enqueuePcs(exec);
      queued.then(
        () => this.notify({ kind: 'action', action, ok: true, wallMs: this.options.wallClock.nowMs() }),
        (err: unknown) => {
          this.logger.error({ action: action.kind, code: errorCode(err), err, attempt }, 'interlock action failed');
          this.notify({ kind: 'action', action, ok: false, error: err instanceof Error ? err.message : String(err), errorCode: errorCode(err), wallMs: this.options.wallClock.nowMs() });
          if (issuedInSafety && action.kind !== 'pcs_setpoint') this.retryLater(action.kind === 'pcs_off' ? 'pcs' : 'outputs', attempt + 1);
        },
      );
    }
  }

  private inSafety(): boolean {
    return this.engine.state === 'dangerous' || this.engine.state === 'safe';
  }

  /**
   * Enforces the safe side again after a failed write of dangerous or safe (core backoff, 1 s
   * doubling to 30 s), at most one pending retry per actuator: when it fires, the write is computed
   * for the state of that moment (PCS off; in dangerous its outputs, in safe the safe outputs with
   * the relays open), never replayed from an older state. Only while a session is attached (the
   * next {@link attach} enforces the safe state itself) and the rig is still dangerous or safe.
   */
  private retryLater(target: 'pcs' | 'outputs', attempt: number): void {
    if (this.stopped || !this.inSafety() || this.actuators === undefined || this.retries.has(target)) return;
    const h = this.options.timer.setTimeout(() => {
      this.retries.delete(target);
      if (this.stopped || !this.inSafety() || this.actuators === undefined) return;
      const state = this.engine.state;
      const reason = `${state}: enforced again after a failed write (retry ${attempt})`;
      const a = this.options.interlock.actions;
      this.run([target === 'pcs' ? { kind: 'pcs_off', reason } : { kind: 'outputs', outputs: state === 'safe' ? this.safeOutputs() : a.dangerous.outputs, reason }], attempt);
    }, backoffDelayMs(attempt - 1, { initialDelayMs: 1000, maxDelayMs: 30_000 }));
    this.retries.set(target, h);
  }

  private scheduleEvents(events: readonly ScheduleEvent[], drive = true): void {
    const name = this.runner?.schedule.name ?? '';
    let last: PcsSetpoint | 'off' | undefined;
    for (const e of events) {
      this.notify({ kind: 'schedule', schedule: name, event: e, wallMs: this.options.wallClock.nowMs() });
      if (e.kind === 'step' || e.kind === 'resumed') last = e.step.setpoint;
      if ((e.kind === 'completed' || (e.kind === 'stopped' && !e.reason.startsWith('interlock'))) && drive) last = 'off';
    }
    if (last === undefined || !drive) return;
    if (last !== 'off' && this.engine.state !== 'normal') return; // the interlock decides the PCS now
    const action = last === 'off' ? ({ kind: 'pcs_off', reason: `schedule ${name} ended` } as const) : ({ kind: 'schedule_setpoint', setpoint: last, reason: `schedule ${name}` } as const);
    const sp = last;
    this.enqueuePcs(async (act) => {
      if (sp === 'off') return act.pcsOff();
      this.recheck(['normal'], `write schedule ${name}'s set-point`);
      return act.pcsSetpoint(sp);
    }).then(
      () => this.notify({ kind: 'action', action, ok: true, wallMs: this.options.wallClock.nowMs() }),
      (err: unknown) => this.notify({ kind: 'action', action, ok: false, error: err instanceof Error ? err.message : String(err), errorCode: errorCode(err), wallMs: this.options.wallClock.nowMs() }),
    );
  }

  private enqueuePcs(fn: (act: RigActuators) => Promise<void>): Promise<void> {
    const next = this.pcsQueue.then(() => fn(this.requireActuators()));
    this.pcsQueue = next.catch(() => undefined);
    return next;
  }

  private enqueueIo(fn: (act: RigActuators) => Promise<void>): Promise<void> {
    const next = this.ioQueue.then(() => fn(this.requireActuators()));
    this.ioQueue = next.catch(() => undefined);
    return next;
  }

  private requireActuators(): RigActuators {
    if (!this.actuators) throw new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', 'the rig has no open session (its links are down); nothing was sent', { retriable: true, outcome: 'not_sent' });
    return this.actuators;
  }

  /** (Re)arms the one timer at the earliest of the interlock's and the schedule's deadlines. */
  private arm(): void {
    if (this.handle !== undefined) this.options.timer.clearTimeout(this.handle);
    this.handle = undefined;
    if (this.stopped) return;
    const deadlines = [this.engine.nextDeadlineMs(), this.runner?.nextDeadlineMs()].filter((d): d is number => d !== undefined);
    if (deadlines.length === 0) return;
    const delay = Math.max(0, Math.min(...deadlines) - this.options.clock.nowMs());
    this.handle = this.options.timer.setTimeout(() => {
      this.handle = undefined;
      const now = this.options.clock.nowMs();
      // the interlock first: a stale input found now pauses or stops the schedule before its next step is written
      this.applyStep(this.engine.evaluate(now));
      if (this.runner) {
        this.scheduleEvents(this.runner.tick(now));
        this.arm();
      }
    }, delay);
  }
}
