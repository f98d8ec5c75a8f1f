/**
 * Busbar's error base class and the error-code catalogue type.
 *
 * Every error Busbar throws or publishes carries a stable code of the form `BB_<AREA>_<REASON>`
 * (see `docs/errors.md`), a `retriable` decision, optional context fields (never secrets) and an
 * optional `cause`. Each package keeps its own codes in an exported {@link ErrorCatalogue}; a
 * repository test checks that every catalogue entry is documented in `docs/errors.md`.
 */

/** Context fields attached to an error: small, JSON-serialisable values (no payload bytes, no secrets). */
export type ErrorContext = Readonly<Record<string, string | number | boolean | bigint | null | undefined>>;

/**
 * What a failed device command did on the device, decided where the fact is known (the driver that
 * sent, or did not send, the bytes) and mapped once by the command executor:
 * - `not_sent`: no byte of the command left Busbar (validation, not connected, expired in a queue):
 *   the device did nothing — safe to retry;
 * - `refused`: the device answered and refused it (a vendor error code, an exception response):
 *   nothing was executed;
 * - `unknown`: the bytes left but no valid answer came back (a timeout, a lost connection after the
 *   write): the device may have executed it — an operator must check before repeating it.
 *
 * `undefined` on errors that are not about a device command, or where no single outcome applies
 * (a write partly executed); the executor then reports a plain FAILED without an outcome.
 */
export type CommandOutcome = 'not_sent' | 'refused' | 'unknown';

/** Options for {@link BusbarError}. */
export interface BusbarErrorOptions {
  /** For errors of a device command: whether the device saw it (see {@link CommandOutcome}). */
  readonly outcome?: CommandOutcome;
  /** The error that caused this one, kept for logs (`Error.cause`). */
  readonly cause?: unknown;
  /** Whether repeating the same operation may succeed (a timeout: yes; a refusal: no). Default `false`. */
  readonly retriable?: boolean;
  /** Context for logs and metrics: device id, address, byte offset, expected/actual values... */
  readonly context?: ErrorContext;
}

/**
 * Base class of every Busbar error.
 *
 * @example throw new BusbarError('BB_MODBUS_TIMEOUT', 'no reply in 1000 ms', { retriable: true, context: { unitId: 1 } })
 */
export class BusbarError extends Error {
  /** Stable machine-readable code, `BB_<AREA>_<REASON>`. */
  readonly code: string;
  /** Whether the same operation may succeed if repeated. */
  readonly retriable: boolean;
  /** Context fields (see {@link ErrorContext}). */
  readonly context: ErrorContext;
  /** For errors of a device command: whether the device saw it (see {@link CommandOutcome}). */
  readonly outcome: CommandOutcome | undefined;

  /**
   * @param code - `BB_<AREA>_<REASON>`; must match `/^BB_[A-Z0-9]+_[A-Z0-9_]+$/`.
   * @param message - human-readable, specific: names the field, offset or value at fault.
   * @param options - cause, retriable, context.
   * @throws {TypeError} when `code` is not of the `BB_<AREA>_<REASON>` form (a programming error).
   */
  constructor(code: string, message: string, options: BusbarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!ERROR_CODE_PATTERN.test(code)) throw new TypeError(`invalid Busbar error code ${JSON.stringify(code)}`);
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = Object.freeze({ ...(options.context ?? {}) });
    this.outcome = options.outcome;
  }

  /** A JSON-friendly view for structured logs (bigints as strings). */
  toJSON(): Record<string, unknown> {
    const context: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.context)) context[k] = typeof v === 'bigint' ? v.toString() : v;
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable, ...(this.outcome === undefined ? {} : { outcome: this.outcome }), context };
  }
}

/** The form every error code takes: `BB_<AREA>_<REASON>`. */
export const ERROR_CODE_PATTERN = /^BB_[A-Z0-9]+_[A-Z0-9_]+$/;

/** One documented error code: what it means and what a user does about it. */
export interface ErrorCodeDoc {
  /** When it is raised. */
  readonly meaning: string;
}

/** A package's table of error codes (code → documentation). Exported as `ERROR_CODES` by each package. */
export type ErrorCatalogue = Readonly<Record<string, ErrorCodeDoc>>;

/** Codes raised by `@busbar/core` itself. */
export const ERROR_CODES = {
  BB_CORE_INVALID_ARGUMENT: { meaning: 'A function was called with an argument outside its documented domain.' },
  BB_CORE_UNEXPECTED: { meaning: 'A thrown value that is not a Busbar error (a bug or a library failure); the metric label for it.' },
} as const satisfies ErrorCatalogue;

/**
 * Whether `err` is a {@link BusbarError} (also across package copies: checks the shape, not the prototype).
 */
export function isBusbarError(err: unknown): err is BusbarError {
  if (err instanceof BusbarError) return true;
  if (!(err instanceof Error)) return false;
  const { code, retriable } = err as Error & { code?: unknown; retriable?: unknown };
  return typeof code === 'string' && ERROR_CODE_PATTERN.test(code) && typeof retriable === 'boolean';
}

/**
 * The code of any thrown value: the Busbar code, else `BB_CORE_UNEXPECTED` for anything else.
 * Used to label error metrics with a bounded set of values.
 */
export function errorCode(err: unknown): string {
  return isBusbarError(err) ? err.code : 'BB_CORE_UNEXPECTED';
}

/**
 * The {@link CommandOutcome} a thrown value carries, `undefined` when it carries none (also reads
 * the field from Busbar errors of another package copy).
 */
export function errorOutcome(err: unknown): CommandOutcome | undefined {
  if (!isBusbarError(err)) return undefined;
  const o = (err as { outcome?: unknown }).outcome;
  return o === 'not_sent' || o === 'refused' || o === 'unknown' ? o : undefined;
}
