/**
 * Codes the Maccor collector raises itself (direct-control execution). Refusals of the actions and
 * driver errors keep their own codes (`@busbar/actions` Maccor actions, `@busbar/driver-maccor-macnet`).
 */
import type { ErrorCatalogue } from '@busbar/core';

/** Every code `@busbar/collector-maccor` raises, with its meaning. */
export const ERROR_CODES = {
  BB_MACCOR_NOT_IN_DIRECT_MODE: { meaning: 'A direct-output set-point was refused because the channel has no direct-control session in this collector (never started, reset, or ended by the set-point watchdog); send maccor.reset then maccor.start_direct_control.' },
  BB_MACCOR_DIRECT_SESSION_ACTIVE: { meaning: 'maccor.start_direct_control was refused because the channel already has a direct-control session in this collector.' },
  BB_MACCOR_SETPOINT_SUPERSEDED: { meaning: 'A direct-output set-point was not sent because a newer one for the same channel arrived within the pacing interval (≥ 100 ms per channel, Maccor MacNet reference §8.6); the newest wins. The reason and details.superseded_by name the superseding command.' },
  BB_MACCOR_DIRECT_SESSION_ENDED: { meaning: 'A pending set-point was dropped because its direct-control session ended (reset, set-point watchdog, shutdown) before it could be sent.' },
  BB_MACCOR_WATCHDOG_EXPIRED: { meaning: 'The set-point watchdog put a direct-controlled channel to rest because its controller sent no set-point within directControl.watchdogMs (published as a FAULT DeviceEvent and a maccor.watchdog_rest CommandResult).' },
  BB_MACCOR_SHUTDOWN_REST: { meaning: 'The collector put a direct-controlled channel to rest because it was shutting down (its set-point watchdog could no longer run).' },
  BB_MACCOR_REST_PENDING: { meaning: 'maccor.start_direct_control or maccor.set_direct_output was refused because the channel is being put to rest (watchdog, shutdown, or a set-point with an unknown outcome) and the tester has not confirmed the rest yet; the rest is retried with capped backoff. Nothing was sent.' },
  BB_MACCOR_SETPOINT_OUTCOME_UNKNOWN: { meaning: 'A direct-output set-point failed after it was sent (timeout, connection lost), so the tester may or may not have applied it; the collector put the channel to rest (FAULT DeviceEvent and maccor.watchdog_rest CommandResult) and never refreshes an older set-point over it.' },
  BB_MACCOR_CHANNELS_EXCEED_TESTER: { meaning: 'The configured `channels` is larger than the tester\'s (1,2) TestChannels; the collector refuses to poll channels that do not exist (Maccor MacNet reference §6.2).' },
} as const satisfies ErrorCatalogue;
