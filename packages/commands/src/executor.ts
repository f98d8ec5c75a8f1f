/**
 * The life of one command, shared by the commander and by collectors that own single-session
 * devices: admit (at most once, not after expiry) → validate against the device configuration →
 * execute (or route) → exactly one {@link CommandResultInput}.
 */
import type { Clock, CommandOutcome, Logger, Metrics } from '@busbar/core';
import { errorCode, errorOutcome, isBusbarError, noopLogger, noopMetrics, systemClock } from '@busbar/core';
import type { Command, CommandResultInput, CommandStatus } from '@busbar/avro';
import { CommandGuard, CommandRefusedError, assertNotExpired } from '@busbar/safety';
import { checkCommandFields, commandKey, digestOf, resultIdentity } from './fields.js';
import type { ExecutionJournal } from './journal.js';
import type { Authorisation } from './policy.js';

/** A validated command, ready to run: `run` performs the device I/O. */
export interface PreparedAction {
  /** Short description for logs and result details (e.g. `write voltage_setpoint_v = 12`). */
  readonly summary: string;
  /** Performs the action; resolves with result details. @throws the driver's error. */
  run(): Promise<Record<string, string>>;
}

/** What to do with an admitted, valid command. */
export type Disposition =
  | { readonly kind: 'execute'; readonly action: PreparedAction }
  | { readonly kind: 'route'; readonly to: string };

/** Options of {@link CommandExecutor}. */
export interface CommandExecutorOptions {
  /** Validates and prepares a command (throws refusals). */
  readonly resolve: (cmd: Command) => Disposition;
  /** Clock for expiry. */
  readonly clock?: Clock;
  /** Longest accepted command lifetime, ms (see CommandGuard). */
  readonly maxLifetimeMs?: number;
  /**
   * Durable execution journal (see {@link ExecutionJournal}): consulted before a command id runs,
   * written `started` before the device write and `done` with the result after it. Without one, a
   * crash between the device write and the published result re-executes the command after a restart.
   */
  readonly journal?: ExecutionJournal;
  /**
   * Authenticity and authorisation, checked before admission (a refused command consumes no id):
   * returns the verified key id, or throws a {@link CommandRefusedError} (`BB_COMMAND_UNSIGNED`,
   * `…_UNKNOWN_KEY`, `…_BAD_SIGNATURE`, `…_NOT_AUTHORISED`) → REJECTED, nothing executed. Usually
   * `policy.authorise` of a {@link CommandPolicy}. Absent: every command is taken as it comes (the
   * collectors' routed commands, which the commander already checked).
   */
  readonly authorise?: (cmd: Command) => Authorisation;
  /** Told every step of every command, for the audit log (see {@link CommandAuditEvent}). */
  readonly audit?: (event: CommandAuditEvent) => void;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * One step in the life of a command, for the audit log: `admitted` (signature, policy and
 * admission passed), `refused` (REJECTED or EXPIRED before anything was sent), `executing` (about to
 * write to the device), `routed` (sent to the collector that owns the device), `duplicate` (a repeat
 * of an answered id, or a replay of old history: nothing published) and `result` (each result
 * published, any status).
 */
export interface CommandAuditEvent {
  /** The step. */
  readonly event: 'admitted' | 'refused' | 'executing' | 'routed' | 'duplicate' | 'result';
  /** The command id as remembered (over-long ids as `sha256:<hex>`). */
  readonly commandId: string;
  /** The command's issuer, as written in it (bounded: 256 characters). */
  readonly issuer: string;
  /** The command's key id (verified once `admitted`), null when unsigned. */
  readonly keyId: string | null;
  /** Target device id. */
  readonly deviceId: string;
  /** Action. */
  readonly action: string;
  /** `result`/`refused`: the status; `routed`: the topic; others: the step itself. */
  readonly outcome: string;
  /** The reason code (refusals, failures), else null. */
  readonly code: string | null;
  /** The reason text (refusals, failures), else null. */
  readonly reason: string | null;
}

/** The outcome of {@link CommandExecutor.handle}. */
export type Handled =
  | { readonly kind: 'result'; readonly result: CommandResultInput }
  | { readonly kind: 'routed'; readonly to: string }
  /** A repeat of an id already handled, or a STALE replay of old history: nothing is published. */
  | { readonly kind: 'duplicate' };

/** A Busbar error's context fields as result details (vendor codes, what was sent...), as text. */
function contextDetails(err: unknown): Record<string, string> {
  if (!isBusbarError(err)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.context)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * What a failure during execution says about the device, mapped once here: the error's own
 * `outcome` (set by the driver, where the fact is known); a {@link CommandRefusedError} without one is
 * a refusal (the pacing or the device refused it before it ran); anything else is left undetermined.
 */
function executionOutcome(err: unknown): CommandOutcome | undefined {
  return errorOutcome(err) ?? (err instanceof CommandRefusedError ? 'refused' : undefined);
}

/** The key id for the audit: null when absent, bounded like the other fields. */
function keyIdOf(cmd: Command): string | null {
  const id = cmd.key_id ?? null;
  return id === null || id === '' ? null : id.length > 128 ? digestOf(id) : id;
}

/** Default longest command lifetime (CommandGuard's default), ms. */
const DEFAULT_MAX_LIFETIME_MS = 3_600_000;

/** Runs commands at most once, never after expiry, never outside the configured limits. */
export class CommandExecutor {
  private readonly guard: CommandGuard;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly outcomes;
  private readonly journaled;

  /** @param options - see {@link CommandExecutorOptions}. */
  constructor(private readonly options: CommandExecutorOptions) {
    this.clock = options.clock ?? systemClock;
    this.guard = new CommandGuard({ clock: this.clock, maxLifetimeMs: options.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS });
    this.log = options.logger ?? noopLogger;
    this.journaled = (options.metrics ?? noopMetrics).counter({ name: 'busbar_commands_journal_recovered_total', help: 'Commands answered from the execution journal after a restart instead of being run: state done (stored result published again) or started (FAILED, outcome unknown).', labelNames: ['state'] });
    this.outcomes = (options.metrics ?? noopMetrics).counter({ name: 'busbar_commands_total', help: 'Commands handled, by action, status and reason code.', labelNames: ['action', 'status', 'code'] });
  }

  /** Longest accepted command lifetime, ms: how far back answered ids must be remembered. */
  get maxLifetimeMs(): number {
    return this.options.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS;
  }

  /** Records a command id already answered (from the results topic) so it is never run again. */
  remember(commandId: string, expiresAtMs: number): void {
    this.guard.remember(commandId, expiresAtMs);
  }

  /**
   * Handles one command. Never throws: every failure becomes a result.
   *
   * @returns a result to publish, a routing decision (the owner publishes the result), or
   *   `duplicate` (a repeat of an id already handled: nothing is published again).
   */
  async handle(cmd: Command): Promise<Handled> {
    const key = commandKey(cmd); // bounded: an over-long id is remembered and answered by its digest
    const refused = this.authorise(cmd);
    if (refused) {
      // a refused copy of an id already handled (a forgery, a replay with other fields) publishes
      // nothing: the id keeps its one result, the one of the command that was admitted
      if (this.guard.knows(key)) {
        this.outcomes.inc({ action: resultIdentity(cmd).action, status: 'DUPLICATE', code: 'none' });
        this.log.warn({ commandId: key, action: resultIdentity(cmd).action, code: refused.result.reason_code }, 'refused copy of a command id already handled: ignored, no second result');
        this.emit(cmd, 'duplicate', 'DUPLICATE');
        return { kind: 'duplicate' };
      }
      return refused;
    }
    const admission = this.guard.admit({ command_id: key, expires_at: cmd.expires_at });
    if (!admission.admit) {
      if (admission.why === 'DUPLICATE') {
        this.outcomes.inc({ action: resultIdentity(cmd).action, status: 'DUPLICATE', code: 'none' });
        this.log.warn({ commandId: key, action: resultIdentity(cmd).action }, 'duplicate command id ignored');
        this.emit(cmd, 'duplicate', 'DUPLICATE');
        return { kind: 'duplicate' };
      }
      if (admission.why === 'STALE') {
        this.outcomes.inc({ action: resultIdentity(cmd).action, status: 'STALE', code: 'none' });
        this.log.warn({ commandId: key, action: resultIdentity(cmd).action, expiresAt: cmd.expires_at.toISOString() }, 'command expired longer ago than the longest lifetime (a replay of old history): no result');
        this.emit(cmd, 'duplicate', 'STALE');
        return { kind: 'duplicate' };
      }
    }
    try {
      checkCommandFields(cmd); // before anything else looks at the command: nothing unbounded goes further
    } catch (err) {
      const refusal = err as CommandRefusedError;
      this.log.warn({ commandId: key, code: refusal.code, err: refusal.message }, 'command refused: a field is out of bounds');
      return this.result(cmd, 'REJECTED', refusal.code, refusal.message, contextDetails(refusal));
    }
    if (!admission.admit) {
      if (admission.why === 'EXPIRED') {
        return this.result(cmd, 'EXPIRED', 'BB_COMMAND_EXPIRED', `command expired at ${cmd.expires_at.toISOString()}; not executed`);
      }
      return this.result(cmd, 'REJECTED', 'BB_COMMAND_LIFETIME_TOO_LONG', `command expires at ${cmd.expires_at.toISOString()}, beyond the maximum lifetime`);
    }
    this.emit(cmd, 'admitted', 'ADMITTED');
    const journaled = this.fromJournal(cmd, key);
    if (journaled) return journaled;
    let disposition: Disposition;
    try {
      disposition = this.options.resolve(cmd);
    } catch (err) {
      const code = errorCode(err);
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof CommandRefusedError || (isBusbarError(err) && !err.retriable)) return this.result(cmd, 'REJECTED', code, reason);
      return this.result(cmd, 'FAILED', code, reason);
    }
    if (disposition.kind === 'route') {
      this.outcomes.inc({ action: cmd.action, status: 'ROUTED', code: 'none' });
      this.emit(cmd, 'routed', disposition.to);
      return { kind: 'routed', to: disposition.to };
    }
    if (cmd.dry_run) return this.result(cmd, 'ACCEPTED', null, null, { dry_run: 'true', summary: disposition.action.summary });
    const journal = this.options.journal;
    try {
      assertNotExpired(cmd, this.clock.nowMs()); // it may have waited since admission
      journal?.started(key); // on disk before a byte leaves; throws (nothing sent) when it cannot be written
    } catch (err) {
      if (err instanceof CommandRefusedError) return this.failed(cmd, disposition.action.summary, err);
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ commandId: key, action: cmd.action, code: errorCode(err), err: message }, 'command not sent: the execution journal cannot be written');
      return this.result(cmd, 'FAILED', errorCode(err), `${message}; the command was not sent`, { summary: disposition.action.summary, outcome: 'not_sent' });
    }
    let handled: Handled & { kind: 'result' };
    this.emit(cmd, 'executing', 'EXECUTING');
    try {
      const details = await disposition.action.run();
      this.log.info({ commandId: key, action: cmd.action, summary: disposition.action.summary }, 'command executed');
      handled = this.result(cmd, 'EXECUTED', null, null, { summary: disposition.action.summary, ...details });
    } catch (err) {
      handled = this.failed(cmd, disposition.action.summary, err);
    }
    if (journal) {
      try {
        journal.done(key, handled.result);
      } catch (err) {
        // the result is still published; after a restart the id is answered from the results topic, or FAILED/unknown
        this.log.error({ commandId: key, code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'the execution journal could not record a result');
      }
    }
    return handled;
  }

  /**
   * What the journal says of a command id admitted here (a restart lost the in-memory memory, and the
   * result never reached the results topic): `done` → its stored result again, nothing run;
   * `started` → FAILED, outcome unknown, nothing run (recorded as done, so it stays one answer).
   */
  private fromJournal(cmd: Command, key: string): Handled | undefined {
    const journal = this.options.journal;
    if (!journal) return undefined;
    let entry;
    try {
      entry = journal.lookup(key);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return this.result(cmd, 'FAILED', errorCode(err), `${message}; the command was not sent`, { outcome: 'not_sent' });
    }
    if (entry === undefined) return undefined;
    if (entry.state === 'done') {
      this.journaled.inc({ state: 'done' });
      this.outcomes.inc({ action: cmd.action, status: entry.result.status, code: entry.result.reason_code ?? 'none' });
      this.log.warn({ commandId: key, status: entry.result.status }, 'command already executed before a restart: its journaled result is published again, the command is not run');
      return { kind: 'result', result: entry.result };
    }
    this.journaled.inc({ state: 'started' });
    this.log.error({ commandId: key, action: cmd.action, startedAt: new Date(entry.startedAtMs).toISOString() }, 'command was started and never finished before a restart: FAILED with outcome unknown, not run again');
    const handled = this.result(cmd, 'FAILED', 'BB_COMMAND_INTERRUPTED', `command ${key} was started at ${new Date(entry.startedAtMs).toISOString()} and the process stopped before it finished (outcome unknown: the device may have executed it); not run again`, { outcome: 'unknown' });
    try {
      journal.done(key, handled.result);
    } catch {
      // answered FAILED/unknown again after a further restart: the same answer
    }
    return handled;
  }

  /** The result of a failed execution, its outcome mapped once (see {@link executionOutcome}). */
  private failed(cmd: Command, summary: string, err: unknown): Handled & { kind: 'result' } {
    const code = errorCode(err);
    if (err instanceof CommandRefusedError && err.code === 'BB_COMMAND_EXPIRED') {
      this.log.warn({ commandId: cmd.command_id, action: cmd.action }, 'command expired while it waited for the device; not sent');
      return this.result(cmd, 'EXPIRED', err.code, err.message, { summary });
    }
    const outcome = executionOutcome(err);
    const message = err instanceof Error ? err.message : String(err);
    if (outcome === 'refused') {
      // the device (or the pacing in front of it) refused: not executed, with the refusal's reason
      this.log.warn({ commandId: cmd.command_id, action: cmd.action, code, err: message }, 'command refused');
      return this.result(cmd, 'REJECTED', code, message, { summary, ...contextDetails(err) });
    }
    this.log.error({ commandId: cmd.command_id, action: cmd.action, code, outcome: outcome ?? 'undetermined', err: message }, outcome === 'unknown' ? 'command failed after it was sent: the device may have executed it' : 'command failed');
    const reason = outcome === 'unknown' && !/may have/i.test(message) ? `${message} (outcome unknown: the command was sent and the device may have executed it)` : message;
    return this.result(cmd, 'FAILED', code, reason, { summary, ...contextDetails(err), ...(outcome === undefined ? {} : { outcome }) });
  }

  /**
   * The policy's verdict, before admission: undefined when it lets the command through (or there is
   * no policy), else the REJECTED result. With a policy, a field out of bounds is refused here too —
   * before admission, so that an unauthenticated command cannot use up the id of a real one.
   */
  private authorise(cmd: Command): (Handled & { kind: 'result' }) | undefined {
    const authorise = this.options.authorise;
    if (!authorise) return undefined;
    try {
      checkCommandFields(cmd);
    } catch (err) {
      const refusal = err as CommandRefusedError;
      this.log.warn({ commandId: commandKey(cmd), code: refusal.code, err: refusal.message }, 'command refused: a field is out of bounds');
      return this.result(cmd, 'REJECTED', refusal.code, refusal.message, contextDetails(refusal));
    }
    try {
      authorise(cmd);
      return undefined;
    } catch (err) {
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      // logged by the audit (refused, then result), not twice here
      return this.result(cmd, 'REJECTED', code, message, contextDetails(err));
    }
  }

  private emit(cmd: Command, event: CommandAuditEvent['event'], outcome: string, code: string | null = null, reason: string | null = null): void {
    const audit = this.options.audit;
    if (!audit) return;
    const id = resultIdentity(cmd);
    try {
      audit({ event, commandId: id.command_id, issuer: cmd.issuer.length > 256 ? digestOf(cmd.issuer) : cmd.issuer, keyId: keyIdOf(cmd), deviceId: id.device_id, action: id.action, outcome, code, reason });
    } catch {
      // the audit sink is a logger; a failing one must not change what happens to the command
    }
  }

  private result(cmd: Command, status: CommandStatus, code: string | null, reason: string | null, details: Record<string, string> = {}): Handled & { kind: 'result' } {
    const id = resultIdentity(cmd);
    this.outcomes.inc({ action: id.action, status, code: code ?? 'none' });
    if (status === 'REJECTED' || status === 'EXPIRED') this.emit(cmd, 'refused', status, code, reason);
    this.emit(cmd, 'result', status, code, reason);
    return { kind: 'result', result: { ...id, status, reason_code: code, reason, timestamp: new Date(this.clock.nowMs()), details } };
  }
}
