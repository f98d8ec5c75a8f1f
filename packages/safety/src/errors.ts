/** Error codes of command safety. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/safety`, used as CommandResult reason codes (docs/errors.md). */
export const ERROR_CODES = {
  BB_COMMAND_PARAMETER_INVALID: { meaning: 'A command parameter has the wrong type (e.g. text where a number is needed).' },
  BB_COMMAND_PARAMETER_MISSING: { meaning: 'A required command parameter is absent.' },
  BB_COMMAND_OUT_OF_RANGE: { meaning: 'A set-point or value is outside the limits the device configuration declares; nothing was written.' },
  BB_COMMAND_UNKNOWN_ACTION: { meaning: 'No handler for this action on this device.' },
  BB_COMMAND_UNKNOWN_DEVICE: { meaning: 'The target device is not configured.' },
  BB_COMMAND_NOT_WRITABLE: { meaning: 'The target register/variable is not declared writable.' },
  BB_COMMAND_EXPIRED: { meaning: 'The command arrived after its expires_at; it was not executed.' },
  BB_COMMAND_LIFETIME_TOO_LONG: { meaning: 'The command expires further in the future than the configured maximum lifetime; refused.' },
  BB_COMMAND_DEVICE_UNAVAILABLE: { meaning: 'The device is not connected; the command was not executed.' },
  BB_COMMAND_FAILED: { meaning: 'The device or driver failed while executing; the outcome on the device may be unknown (see reason).' },
} as const satisfies ErrorCatalogue;
