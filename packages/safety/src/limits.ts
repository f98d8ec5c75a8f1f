/**
 * Pure checks of command parameters against declared limits, returning typed refusals.
 * A refusal is decided before any byte is sent to a device.
 */
import { BusbarError } from '@busbar/core';

/** Why a command was refused: a stable code and a sentence naming the parameter and the limit. */
export class CommandRefusedError extends BusbarError {
  /**
   * @param code - `BB_COMMAND_*` (see {@link ERROR_CODES}) or a driver's refusal code.
   * @param message - names the parameter, the value and the limit.
   */
  constructor(code: string, message: string, context: Record<string, string | number | boolean | null> = {}) {
    super(code, message, { context });
  }
}

/** An inclusive range in the parameter's unit (the unit is in the parameter's name). */
export interface Range {
  /** Lowest allowed value. */
  readonly min: number;
  /** Highest allowed value. */
  readonly max: number;
}

/**
 * Checks that `value` is a finite number within `range`.
 *
 * @param name - parameter name with its unit, e.g. `voltage_setpoint_v`.
 * @throws {CommandRefusedError} `BB_COMMAND_PARAMETER_INVALID` (not a finite number) or
 *   `BB_COMMAND_OUT_OF_RANGE` (outside the range).
 */
export function checkRange(name: string, value: unknown, range: Range): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `${name} must be a finite number, got ${JSON.stringify(value)}`, { parameter: name });
  }
  if (value < range.min || value > range.max) {
    throw new CommandRefusedError('BB_COMMAND_OUT_OF_RANGE', `${name} = ${value} is outside the allowed range [${range.min}, ${range.max}]`, { parameter: name, value, min: range.min, max: range.max });
  }
  return value;
}

/**
 * Reads a required parameter of a command.
 *
 * @throws {CommandRefusedError} `BB_COMMAND_PARAMETER_MISSING`.
 */
export function requireParameter(parameters: Readonly<Record<string, unknown>>, name: string): unknown {
  const v = parameters[name];
  if (v === undefined || v === null) throw new CommandRefusedError('BB_COMMAND_PARAMETER_MISSING', `parameter ${name} is required`, { parameter: name });
  return v;
}

/**
 * Refuses to go on with a command whose `expires_at` has passed: call it immediately before the
 * bytes of a command leave for the device (after any queue it waited in), not only at admission.
 *
 * @param nowMs - the current time, ms since the epoch (default `Date.now()`).
 * @throws {CommandRefusedError} `BB_COMMAND_EXPIRED` — the executor reports it as EXPIRED, nothing was sent.
 */
export function assertNotExpired(cmd: { readonly command_id: string; readonly expires_at: Date }, nowMs: number = Date.now()): void {
  if (cmd.expires_at.getTime() <= nowMs) {
    throw new CommandRefusedError('BB_COMMAND_EXPIRED', `command ${cmd.command_id} expired at ${cmd.expires_at.toISOString()} while it waited for the device; not sent`, { expires_at: cmd.expires_at.toISOString() });
  }
}
