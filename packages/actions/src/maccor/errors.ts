/**
 * Codes the Maccor actions raise, beyond the driver's (`@busbar/driver-maccor-macnet` ERROR_CODES)
 * and `@busbar/safety`'s `BB_COMMAND_*`. The codes of direct-control execution (superseded,
 * watchdog) are in the Maccor collector's catalogue, where they are raised.
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Every code of the Maccor actions, with its meaning. */
export const MACCOR_ACTION_ERROR_CODES = {
  BB_MACCOR_SAFETY_LIMITS_MISSING: { meaning: 'A start (procedure or direct control) was refused because the channel has no `safety` limits in the device configuration; (6,10) is always set first and limits are never defaulted (Maccor MacNet reference §8.7).' },
  BB_MACCOR_VARIABLE_NOT_DECLARED: { meaning: 'maccor.set_variable named a VAR that is not declared for the channel (channelSettings.*.variables); only declared variables, with their min/max, may be set. Nothing was sent.' },
  BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED: { meaning: 'Direct control was refused because the device has no `directControl` section (watchdog) or the channel has no `envelope`.' },
} as const satisfies ErrorCatalogue;
