/**
 * Reason codes of the BaSyTec module (CommandResult `reason_code` of the `basytec.*` actions).
 * Refusals are {@link CommandRefusedError}s raised before anything is sent; the RCI client's own
 * codes (`BB_BASYTEC_RCI_*`, `@busbar/driver-basytec`) carry the outcome of what was sent. The
 * generic `BB_COMMAND_*` codes of `@busbar/safety` (missing/invalid parameter) are used where they fit.
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Every code the BaSyTec module raises, with its meaning. */
export const BASYTEC_MODULE_ERROR_CODES = {
  BB_BASYTEC_RCI_NOT_CONFIGURED: { meaning: 'A basytec.* command names a tester without an `rci:` section: the collector has no remote-control connection to it. Nothing was sent.' },
  BB_BASYTEC_CHANNEL_REQUIRED: { meaning: 'A basytec.* command needs target.channel (the tester\'s channel number as the RCI templates take it); the command had none. Nothing was sent.' },
  BB_BASYTEC_CHANNEL_NOT_CONFIGURED: { meaning: 'target.channel is not one of the channels listed in the tester\'s `rci.channels`. Nothing was sent.' },
  BB_BASYTEC_PLAN_NOT_ALLOWED: { meaning: 'basytec.start_test names a test plan that is not in the tester\'s configured `rci.plans` (a prepared plan holds the limits; only listed plans may be started remotely). Nothing was sent.' },
} as const satisfies ErrorCatalogue;
