/**
 * Reason codes of the Arbin command actions (CommandResult `reason_code`). Refusals are
 * {@link CommandRefusedError}s: nothing was sent to the cycler, or the cycler itself refused.
 * The generic `BB_COMMAND_*` codes of `@busbar/safety` (missing/invalid parameter, out of range)
 * are used where they fit.
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Every code the Arbin actions raise, with its meaning. */
export const ARBIN_ACTION_ERROR_CODES = {
  BB_ARBIN_CHANNEL_REQUIRED: { meaning: 'An Arbin action needs target.channel (the cycler\'s 1-based channel); the command had none. Nothing was sent.' },
  BB_ARBIN_CHANNEL_NOT_CONFIGURED: { meaning: 'target.channel is not one of the channels configured for this cycler. Nothing was sent.' },
  BB_ARBIN_MV_NOT_CONFIGURED: { meaning: 'arbin.set_meta_variable names an MV that the configuration does not declare for this channel (only declared MVs, with limits, may be set). Nothing was sent.' },
  BB_ARBIN_SCHEDULE_NOT_ALLOWED: { meaning: 'The schedule file is not in the configured allowedSchedules of this cycler. Nothing was sent.' },
  BB_ARBIN_STEP_OUT_OF_RANGE: { meaning: 'arbin.jump_to_step asks for a step above the configured maxStep (a missing step stops the test, Arbin CTI reference README §6.2). Nothing was sent.' },
  BB_ARBIN_CYCLER_REFUSED: { meaning: 'The cycler answered with a non-success result code; the vendor code, name and meaning are in the reason and in details (vendor_code, vendor_name, vendor_source; Arbin CTI reference README §5).' },
  BB_ARBIN_START_NOT_SENT: { meaning: 'arbin.start assigned its schedule, then expired before the start frame was sent: the channel has the new schedule but no test was started (result FAILED, details.assigned names the schedule).' },
  BB_ARBIN_MV_SUPERSEDED: { meaning: 'A set-MV command was replaced by a newer value for the same channel and MV before it could be sent (one update per 200 ms, README §5.4); it was never sent. The reason and details.superseded_by name the command that replaced it.' },
} as const satisfies ErrorCatalogue;
