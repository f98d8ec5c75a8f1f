/**
 * Reason codes of the Maccor module (CommandResult `reason_code`, DeviceEvent `error_code`) beyond
 * the driver's (`@busbar/driver-maccor-macnet` ERROR_CODES) and `@busbar/safety`'s `BB_COMMAND_*`:
 * the refusals of the pure validation (nothing sent) and the codes of direct-control execution.
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Every code `@busbar/module-maccor` raises, with its meaning. */
export const MACCOR_MODULE_ERROR_CODES = {
  BB_MACCOR_SAFETY_LIMITS_MISSING: { meaning: 'A start (procedure or direct control) was refused because the channel has no `safety` limits in the device configuration; (6,10) is always set first and limits are never defaulted (Maccor MacNet reference §8.7).' },
  BB_MACCOR_VARIABLE_NOT_DECLARED: { meaning: 'maccor.set_variable named a VAR that is not declared for the channel (channelSettings.*.variables); only declared variables, with their min/max, may be set. Nothing was sent.' },
  BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED: { meaning: 'Direct control was refused because the device has no `directControl` section (watchdog) or the channel has no `envelope`.' },
  BB_MACCOR_NOT_IN_DIRECT_MODE: { meaning: 'A direct-output set-point was refused because the channel has no direct-control session in this collector (never started, reset, or ended by the set-point watchdog); send maccor.reset then maccor.start_direct_control.' },
  BB_MACCOR_DIRECT_SESSION_ACTIVE: { meaning: 'maccor.start_direct_control was refused because the channel already has a direct-control session in this collector.' },
  BB_MACCOR_SETPOINT_SUPERSEDED: { meaning: 'A direct-output set-point was not sent because a newer one for the same channel arrived within the pacing interval (≥ 100 ms per channel, Maccor MacNet reference §8.6); the newest wins. The reason and details.superseded_by name the superseding command.' },
  BB_MACCOR_DIRECT_SESSION_ENDED: { meaning: 'A pending set-point was dropped because its direct-control session ended (reset, set-point watchdog, shutdown) before it could be sent.' },
  BB_MACCOR_WATCHDOG_EXPIRED: { meaning: 'The set-point watchdog put a direct-controlled channel to rest because its controller sent no set-point within directControl.watchdogMs (published as a FAULT DeviceEvent and a maccor.watchdog_rest CommandResult).' },
  BB_MACCOR_SHUTDOWN_REST: { meaning: 'The collector put a direct-controlled channel to rest because it was shutting down (its set-point watchdog could no longer run).' },
  BB_MACCOR_REST_PENDING: { meaning: 'maccor.start_direct_control or maccor.set_direct_output was refused because the channel is being put to rest (watchdog, shutdown, or a set-point with an unknown outcome) and the tester has not confirmed the rest yet; the rest is retried with capped backoff, on whatever session is open. Nothing was sent.' },
  BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN: { meaning: 'A direct-output set-point failed after it was sent (timeout, connection lost), so the tester may or may not have applied it; the collector put the channel to rest (FAULT DeviceEvent and maccor.watchdog_rest CommandResult) and never refreshes an older set-point over it.' },
  BB_MACCOR_CHANNELS_EXCEED_TESTER: { meaning: 'The configured `channels` is larger than the tester\'s (1,2) TestChannels; the session is refused rather than poll channels that do not exist (Maccor MacNet reference §6.2).' },
} as const satisfies ErrorCatalogue;
