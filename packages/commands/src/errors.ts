/** Error codes of `@busbar/commands`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the command life cycle (docs/errors.md); the first two are CommandResult reason codes. */
export const ERROR_CODES = {
  BB_COMMAND_FIELD_TOO_LONG: { meaning: 'A text field of the command (command_id, issuer, target.device_id, action, a parameter name or a text parameter value), or its number of parameters, exceeds its bound; the reason names the field, its length and the limit. REJECTED before admission, nothing executed. An over-long command_id, device_id or action is echoed in the result as `sha256:<hex>` of its UTF-8 text.' },
  BB_COMMAND_PARAMETER_NOT_FINITE: { meaning: 'A numeric command parameter is NaN, +Infinity or -Infinity; REJECTED before admission, nothing executed.' },
  BB_COMMAND_JOURNAL_UNUSABLE: { meaning: 'The execution journal file cannot be opened or written (wrong path, not a journal, disk full). At start the commander stops; a command whose "started" entry cannot be written is FAILED with outcome not_sent (nothing was sent).' },
  BB_COMMAND_INTERRUPTED: { meaning: 'The execution journal shows the command was started but never finished before a crash or kill of the process that ran it: FAILED with outcome unknown — the device may have executed it; it is not run again.' },
} as const satisfies ErrorCatalogue;
