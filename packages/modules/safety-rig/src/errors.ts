/**
 * Error codes of the safety-rig module: its configuration (interlock rule table, envelope,
 * schedules) and its commands. Refusals of commands are `CommandRefusedError`s (`@busbar/safety`):
 * nothing was sent to the rig.
 */
import type { ErrorCatalogue } from '@busbar/core';
import { BusbarError } from '@busbar/core';

/** Every code the safety-rig module raises, with its meaning. */
export const ERROR_CODES = {
  BB_RIG_CONFIG_INVALID: { meaning: 'The rig configuration (interlock rules, actions, envelope, inputs) is inconsistent: the message names the field (e.g. rules[2].dangerous below its warning level for an "above" rule). The collector does not start; a safety limit is never defaulted.' },
  BB_RIG_SCHEDULE_INVALID: { meaning: 'A schedule CSV (duration s, set-point A or kW; safety-rig reference §7) has a malformed row, a non-positive duration or a set-point outside the envelope; the message names the line. Nothing of the schedule runs.' },
  BB_RIG_RESET_REFUSED: { meaning: 'rig.reset_latch was refused: a dangerous condition persists (a value still past its dangerous level, or an input still stale), or the rig is still acting on a dangerous state (relays not yet open). The message names the condition. Nothing changed.' },
  BB_RIG_STATE_REFUSED: { meaning: 'A rig command that drives the PCS or the outputs was refused because the interlock is not in a state that allows it (warning pauses the schedule and manual set-points; dangerous and safe allow nothing but rig.stop_schedule and rig.reset_latch). Nothing was sent.' },
  BB_RIG_PIN_NOT_ALLOWED: { meaning: 'rig.set_outputs named an output that is not in the configured whitelist of the rig\'s Arduino outputs. Nothing was sent.' },
  BB_RIG_INPUT_UNKNOWN: { meaning: 'The interlock received values from a source it was not configured for (e.g. a BMU node outside inputs.bmu.nodes); they are reported and ignored for the rules.' },
} as const satisfies ErrorCatalogue;

/** One of the safety-rig codes. */
export type RigErrorCode = keyof typeof ERROR_CODES;

const REFUSALS = new Set<string>(['BB_RIG_RESET_REFUSED', 'BB_RIG_STATE_REFUSED', 'BB_RIG_PIN_NOT_ALLOWED', 'BB_RIG_SCHEDULE_INVALID']);

/** An error of the safety-rig module, with one of the {@link ERROR_CODES}. */
export class RigError extends BusbarError {
  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - names the field, line or condition at fault.
   */
  constructor(code: RigErrorCode, message: string, context: Record<string, string | number | boolean | null> = {}) {
    // a refusal of a command: nothing was sent (the executor maps it to REJECTED)
    super(code, message, { context, ...(REFUSALS.has(code) ? { outcome: 'refused' as const } : {}) });
  }
}
