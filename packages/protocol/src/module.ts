/**
 * The one contract every protocol implements: a {@link ProtocolModule} says everything Busbar needs
 * to know about a protocol — its device configuration, how to open a session, how to poll and turn a
 * poll into records, and which actions exist. The generic collector runtime (`@busbar/collector-kit`)
 * and the commander do the rest: supervision, reconnection, scheduling, publishing, routing.
 *
 * Rules a module keeps (docs/adding-a-protocol.md):
 * - it never sleeps, retries, reconnects or touches Kafka: the runtime does;
 * - `open` connects once and reports the loss of the connection through {@link Session.lost};
 * - `toRecords` and every action's `validate` are pure (no I/O, nothing sent);
 * - errors of an action's `execute` carry their `outcome` (`not_sent` | `refused` | `unknown`,
 *   `@busbar/core` `CommandOutcome`) where the driver knows it; the executor maps it once.
 */
import type { z } from 'zod';
import type { Clock, Logger, Metrics } from '@busbar/core';
import type { Command, CommandResultInput, DeviceEventInput, ReadingInput } from '@busbar/avro';

/** The fields every device entry has, whatever its protocol. */
export interface DeviceConfigBase {
  /** Device id: the Kafka key of its records and the `target.device_id` of its commands. */
  readonly id: string;
  /** Poll interval (start to start), ms. */
  readonly pollIntervalMs: number;
}

/**
 * Who may open a device's connection:
 * - `shared`: any process may connect (Modbus TCP): the commander executes commands itself;
 * - `exclusive`: one connection at a time (serial lines, most cyclers): the collector that polls it
 *   owns the session and the commander routes its commands there (docs/architecture.md
 *   "Single-session devices").
 */
export type SessionMode = 'shared' | 'exclusive';

/** An open connection to one device. Never reused after it is lost or closed. */
export interface Session {
  /** Settles (resolves with the reason) when the connection is lost; never rejects. */
  readonly lost: Promise<Error>;
  /** Closes the connection. Must not throw for an already lost connection. */
  close(): Promise<void>;
}

/** What a module gets to open a session. */
export interface OpenContext {
  /** Logger bound to the device. */
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The records one poll produced. */
export interface DeviceRecords {
  readonly readings: readonly ReadingInput[];
  readonly events?: readonly DeviceEventInput[];
}

/** What {@link ProtocolModule.toRecords} gets besides the poll. */
export interface RecordContext<St> {
  /** When the poll started, ms since the epoch. */
  readonly atMs: number;
  /** The next `sequence` number of this collector process (monotonic across its devices). */
  nextSequence(): number;
  /** The device's state across polls (and reconnects), from {@link ProtocolModule.initialState}. */
  readonly state: St;
}

/** What {@link ProtocolModule.listen} gets. */
export interface ListenContext {
  /**
   * Publishes records the session produced by itself (a CAN frame, an interlock transition) through
   * the collector's store-and-forward path, in call order; never waits on Kafka, never throws.
   */
  emit(records: DeviceRecords): void;
  /** The next `sequence` number of this collector process (shared with the polls). */
  nextSequence(): number;
}

/** What an action's `execute` gets besides the plan. */
export interface ActionContext {
  /** The command being executed. */
  readonly command: Command;
  /**
   * Call immediately before the command's bytes leave for the device (after any queue it waited
   * in). @throws {CommandRefusedError} `BB_COMMAND_EXPIRED` when the command expired meanwhile —
   * nothing may be sent then.
   */
  beforeSend(): void;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What a {@link DeviceJob} gets for one run. */
export interface JobContext {
  /**
   * Publishes readings through the collector's store-and-forward path (the same buffer and order as
   * the polls' readings) and resolves only once Kafka acknowledged every one of them — advance a
   * cursor after it, never before.
   *
   * @throws when Kafka did not take them: the buffer dropped them (byte/age bound), could not store
   *   them, or the collector stopped before Kafka acknowledged (`BB_COLLECTOR_NOT_ACKNOWLEDGED`).
   *   The records may still reach Kafka later: at least once, never "done" without the ack.
   */
  publishAcknowledged(readings: readonly ReadingInput[]): Promise<void>;
  /**
   * Publishes device events through the same store-and-forward path (e.g. the Corus backfill's
   * "device clock set back"); resolves once they are in the buffer (or sent, without one).
   *
   * @throws `BB_COLLECTOR_BUFFER_UNUSABLE` when the buffer cannot take them (do not advance a cursor then).
   */
  publishEvents(events: readonly DeviceEventInput[]): Promise<void>;
  /** The next `sequence` number of this collector process (shared with the polls). */
  nextSequence(): number;
  /**
   * Aborted when the collector stops: finish the step in progress (publish it, advance the
   * cursor) and return; do not start another.
   */
  readonly signal: AbortSignal;
}

/**
 * A per-device background job beside the polls (the Corus log backfill): the runtime runs it on
 * the device's current session, again every {@link DeviceJob.intervalMs} after a run that returned,
 * and after a failure with core `backoffDelayMs` + jitter on the session that is then open (it
 * waits for the supervisor's reconnection; the job never reconnects, sleeps or retries itself).
 * The job object lives as long as the collector: it keeps its own state (a cursor) across sessions.
 *
 * @typeParam S - the protocol's session.
 */
export interface DeviceJob<S> {
  /** Name for logs and the `job` label of `busbar_collector_job_errors_total` (e.g. `log-backfill`). */
  readonly name: string;
  /** Pause after a run that returned, ms. */
  readonly intervalMs: number;
  /**
   * Called once at collector start, before Kafka or the device is touched (load and check persisted
   * state). @throws → the collector does not start (e.g. a corrupt cursor file).
   */
  prepare?(): Promise<void>;
  /**
   * One run on an open session (e.g. one backfill pass until caught up).
   *
   * @throws the driver's or the publisher's error: counted, logged, retried after a backoff.
   */
  run(session: S, ctx: JobContext): Promise<void>;
  /**
   * `--test` mode: records to print besides the poll, read on `session` without side effects (no
   * cursor moves, nothing published) — e.g. the newest log records.
   */
  sample?(session: S, ctx: { readonly nextSequence: () => number }): Promise<readonly ReadingInput[]>;
}

/**
 * What the collector runtime gives a module's own activity ({@link ProtocolModule.attach}): the
 * devices' current sessions and a way to publish what the module reports without a poll or a
 * command (a set-point watchdog that put a channel to rest).
 */
export interface ModuleRuntime<S> {
  /** The device's open session, or undefined while it is down (a session that reported its loss is never returned). */
  session(deviceId: string): S | undefined;
  /** Publishes a DeviceEvent (through the collector's store-and-forward buffer). @throws when it cannot be buffered. */
  publishEvent(event: DeviceEventInput): Promise<void>;
  /** Publishes a CommandResult of work no command asked for (e.g. `maccor.watchdog_rest`). @throws when Kafka refuses it. */
  publishResult(result: CommandResultInput): Promise<void>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A module's own activity in a collector, from {@link ProtocolModule.attach}. */
export interface ModuleActivity {
  /**
   * Ends the activity: called by the collector's stop after routed commands stopped and before the
   * sessions close (so it may still send, e.g. put channels to rest).
   */
  stop(): Promise<void>;
  /** Extra `/healthz` details (e.g. channels under direct control). */
  health?(): Readonly<Record<string, unknown>>;
}

/**
 * One action of a protocol (`modbus.write`, `arbin.start`...).
 *
 * @typeParam D - the protocol's resolved device configuration.
 * @typeParam S - the protocol's session.
 * @typeParam P - the validated plan (what `validate` returns and `execute` runs).
 */
export interface ProtocolAction<D, S, P> {
  /**
   * Validates a command against the device's declared limits. Pure: nothing is sent.
   *
   * @throws {CommandRefusedError} (or a driver's refusal) naming the parameter and the limit.
   */
  validate(cmd: Command, device: D): P;
  /** One line for logs and the result's `summary` detail (e.g. `write voltage_setpoint_v = 12 V`). */
  describe(plan: P): string;
  /**
   * Runs a validated plan on an open session.
   *
   * @returns result details (vendor codes, values written), as text.
   * @throws the driver's error, with its `outcome` where known.
   */
  execute(session: S, plan: P, ctx: ActionContext): Promise<Record<string, string>>;
  /**
   * A set-point that a newer one may supersede while it waits for its pacing slot (Arbin set-MV):
   * handled without blocking the routed-commands consumer and outside the session's exclusive
   * queue (the driver paces it). Its offset is committed before it finishes: a crash loses it,
   * which a set-point stream tolerates and a start/stop must not — keep it to set-points.
   */
  readonly concurrent?: boolean;
}

/**
 * Everything Busbar needs to know about one protocol.
 *
 * @typeParam D - resolved device configuration (after map files etc. are read).
 * @typeParam S - session type.
 * @typeParam Raw - what one poll returns.
 * @typeParam St - per-device state kept across polls (e.g. the previous channel states).
 * @typeParam In - one parsed `devices:` entry before {@link ProtocolModule.resolveDevices}.
 */
export interface ProtocolModule<D extends DeviceConfigBase, S extends Session, Raw = unknown, St = undefined, In = D> {
  /** Protocol name written into every record (`modbus`, `arbin-cti`...). */
  readonly protocol: string;
  /** Namespace of its actions (`modbus.`): a command outside it is refused for this protocol's devices. */
  readonly actionPrefix: string;
  /** The `devices:` list (zod, with defaults and documented fields; unique ids). */
  readonly devicesSchema: z.ZodType<readonly In[], unknown>;
  /**
   * Resolves what parsing cannot (files the entries name, relative to `baseDir`).
   *
   * @throws {BusbarError} `BB_CONFIG_INVALID` naming `devices[i]` and the field at fault.
   */
  resolveDevices(devices: readonly In[], baseDir: string): readonly D[];
  /** Who may open the device's connection (see {@link SessionMode}). */
  sessionMode(device: D): SessionMode;
  /**
   * Connects (and signs on) once. No retries: the runtime reconnects with backoff.
   *
   * @throws the driver's connection error.
   */
  open(device: D, ctx: OpenContext): Promise<S>;
  /**
   * Reads one poll's worth of data.
   *
   * @throws the driver's error (the runtime counts it and, after the configured number of failures,
   *   closes the session and reconnects).
   */
  poll(session: S, device: D): Promise<Raw>;
  /**
   * Event-driven sources (records pushed as frames arrive rather than polled): called once per
   * opened session, right after `open` and before its first poll; the session calls `ctx.emit`
   * whenever it has records. Optional; `runTestMode` does not call it.
   */
  listen?(session: S, device: D, ctx: ListenContext): void;
  /** Turns one poll into records. Pure. */
  toRecords(device: D, raw: Raw, ctx: RecordContext<St>): DeviceRecords;
  /**
   * For source-driven modules (files, databases, logs read from a persisted cursor): advances the
   * cursor past the records of `raw`. When a module has it, the runtime publishes a poll's
   * readings and events **directly to Kafka** (not through the store-and-forward buffer: the
   * source is the buffer) and calls it only after Kafka acknowledged them; when the publish or
   * this call fails, the runtime reports the session lost, and the next session reads again from
   * the persisted cursor (at least once, never skipped). Called after every poll, also one that
   * produced no records (a poll may consume rows that map to none). `toRecords` of such a module
   * works on a copy of the per-device state (`structuredClone`: keep it to plain data, Maps and
   * Sets), adopted only once the poll was acknowledged — so a poll read again derives the same
   * events (a step change is neither lost nor invented by a failed publish). A failed publish
   * (Kafka down) is reported as a session loss too: the source is re-opened at its cursor, with a
   * DISCONNECTED/CONNECTED pair per failed poll while Kafka is down (a known cost of this design).
   *
   * @throws the driver's error when the cursor cannot be persisted.
   */
  acknowledge?(session: S, device: D, raw: Raw): Promise<void>;
  /** The initial per-device state (default `undefined`). */
  initialState?(device: D): St;
  /**
   * Reason and details of a CONNECTED event beyond the defaults (e.g. a login reply); `outageMs` is
   * 0 at the first connect.
   */
  connected?(session: S, device: D, info: { readonly outageMs: number }): { readonly reason?: string; readonly details?: Readonly<Record<string, string>> };
  /**
   * When true, a command that is not {@link ProtocolAction.concurrent} first waits for the
   * concurrent commands of the same device still in flight (Arbin: a stop never overtakes the
   * set-MVs before it). Default false.
   */
  readonly orderAfterConcurrent?: boolean;
  /**
   * Optional: starts the module's own per-device activity in a collector (Maccor direct control:
   * set-point watchdog, tester-watchdog refresh, rests until confirmed), which lives across sessions
   * and reports through `runtime`. Called once by `startCollector` before polling starts; never by
   * the commander or `--test` mode. It must not reconnect: it uses whatever session is open.
   */
  attach?(devices: readonly D[], runtime: ModuleRuntime<S>): ModuleActivity;
  /**
   * The device's background job, if any (see {@link DeviceJob}); called once per device at
   * collector start. The commander never calls it.
   */
  job?(device: D, ctx: OpenContext): DeviceJob<S> | undefined;
  /** Actions by full name (`modbus.write`). */
  readonly actions: Readonly<Record<string, ProtocolAction<D, S, never>>>;
}

/**
 * A module with its type parameters erased, as the runtime and the commander hold it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProtocolModule = ProtocolModule<any, any, any, any, any>;

/**
 * Declares an action with its plan type checked between `validate`, `describe` and `execute`.
 *
 * @returns the same object, typed for {@link ProtocolModule.actions}.
 */
export function defineAction<D, S, P>(action: ProtocolAction<D, S, P>): ProtocolAction<D, S, never> {
  return action as unknown as ProtocolAction<D, S, never>;
}
