/** Error codes of `@busbar/commands`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the command life cycle (docs/errors.md); all but the journal and key-file codes are CommandResult reason codes. */
export const ERROR_CODES = {
  BB_COMMAND_FIELD_TOO_LONG: { meaning: 'A text field of the command (command_id, issuer, target.device_id, action, a parameter name or a text parameter value), or its number of parameters, exceeds its bound; the reason names the field, its length and the limit. REJECTED before admission, nothing executed. An over-long command_id, device_id or action is echoed in the result as `sha256:<hex>` of its UTF-8 text.' },
  BB_COMMAND_PARAMETER_NOT_FINITE: { meaning: 'A numeric command parameter is NaN, +Infinity or -Infinity; REJECTED before admission, nothing executed.' },
  BB_COMMAND_JOURNAL_UNUSABLE: { meaning: 'The execution journal file cannot be opened or written (wrong path, not a journal, disk full). At start the commander stops; a command whose "started" entry cannot be written is FAILED with outcome not_sent (nothing was sent).' },
  BB_COMMAND_INTERRUPTED: { meaning: 'The execution journal shows the command was started but never finished before a crash or kill of the process that ran it: FAILED with outcome unknown — the device may have executed it; it is not run again.' },
  BB_COMMAND_UNSIGNED: { meaning: 'The command carries no signature (or no key_id) and the commander\'s policy requires one (policy.requireSignature, the default): REJECTED before admission, nothing executed. Sign it (busbar command send --key FILE --key-id ID; docs/commands.md).' },
  BB_COMMAND_UNKNOWN_KEY: { meaning: 'The command\'s key_id is not among the commander\'s policy.keys: REJECTED before admission, nothing executed.' },
  BB_COMMAND_BAD_SIGNATURE: { meaning: 'The command\'s signature does not verify with the key its key_id names over the command\'s canonical bytes (a field was altered, the signature belongs to another command, or the signer used another canonical form): REJECTED before admission, nothing executed.' },
  BB_COMMAND_NOT_AUTHORISED: { meaning: 'The signature verifies, but no policy rule lets that key run the action on the device, or the key is bound to another issuer: REJECTED before admission, nothing executed; the reason names the key, issuer, action and device.' },
  BB_COMMAND_KEY_UNUSABLE: { meaning: 'A command key file cannot be used: unreadable, not a PEM Ed25519 key, or an HMAC-SHA256 secret shorter than 32 bytes. The commander (or the busbar CLI) stops at start naming the file.' },
} as const satisfies ErrorCatalogue;
