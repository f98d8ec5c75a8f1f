/**
 * Errors of the Arbin CTI driver. Every error is an {@link ArbinCtiError} (a `BusbarError`) whose
 * code is listed in {@link ERROR_CODES}. Context fields never hold credentials or payload bytes.
 *
 * Every error carries a {@link CommandOutcome} (`error.outcome`), by default its code's
 * ({@link ARBIN_ERROR_OUTCOMES}). A cycler's refusal of a command is not an error: the command
 * methods resolve a `CommandResult` with `ok: false` and `outcome: 'refused'`.
 */
import { BusbarError, type BusbarErrorOptions, type CommandOutcome, type ErrorCatalogue } from '@busbar/core';

/** Every code the Arbin CTI driver raises, with its meaning. */
export const ERROR_CODES = {
  BB_ARBIN_BAD_TOKEN: { meaning: 'A frame does not start with the CTI token DD DD DD DD DD DD DD 11 (Arbin CTI reference README §3.2); also raised by the client when the first bytes a connection receives are not a CTI frame (another service on the port): the message shows them, e.g. `received 37 bytes that are not an Arbin CTI frame: 48 54 54 50 … (HTTP?)`.' },
  BB_ARBIN_FRAME_TOO_LARGE: { meaning: 'A length field (dwLen) announces a frame larger than the configured maximum; the bytes are treated as garbage and the decoder resynchronises.' },
  BB_ARBIN_FRAME_TOO_SHORT: { meaning: 'A length field (dwLen) announces a frame shorter than the 22-byte header plus checksum, or a buffer is shorter than its length field says.' },
  BB_ARBIN_BAD_CHECKSUM: { meaning: 'The 16-bit checksum of a frame does not match the byte sum (raised only by strict checks, e.g. the simulator; clients only warn, README §10).' },
  BB_ARBIN_UNEXPECTED_COMMAND: { meaning: 'A frame carries another command code than the decoder or the pending request expects.' },
  BB_ARBIN_TRUNCATED: { meaning: 'A frame is shorter than its message layout, or its counts (channel records, aux values, MV entries) promise more bytes than it holds.' },
  BB_ARBIN_INVALID_ARGUMENT: { meaning: 'A value cannot be encoded: channel out of range, text too long for its fixed-width field, unknown meta-variable, non-finite number.' },
  BB_ARBIN_CREDENTIALS_MISSING: { meaning: 'ARBIN_CTI_USERNAME / ARBIN_CTI_PASSWORD (or their *_FILE variants) are missing or empty.' },
  BB_ARBIN_LOGIN_FAILED: { meaning: 'The cycler refused the login (result 2: bad credentials or no permission, README §4.1).' },
  BB_ARBIN_TIMEOUT: { meaning: 'No feedback arrived within the request timeout (the vendor recommends 10 s, README §2); the client drops the connection and is spent (it never reconnects).' },
  BB_ARBIN_NOT_CONNECTED: { meaning: 'connect() was not called, or its login did not complete before the request deadline; the request was NOT sent.' },
  BB_ARBIN_CONNECTION_LOST: { meaning: 'The connection could not be opened or was lost (peer closed, socket error, or dropped after a timeout or non-CTI bytes); the client never reconnects. The error `lost` settles with; a read in flight fails with it (outcome `unknown`); a queued or later request, and a later connect(), fail with it with outcome `not_sent` (`cause`: what spent the client). A control command in flight fails BB_ARBIN_OUTCOME_UNKNOWN instead.' },
  BB_ARBIN_OUTCOME_UNKNOWN: { meaning: 'A control command (start, stop, assign, set-MV...) was written but no feedback arrived (timeout or lost connection); whether the cycler executed it is unknown. It is never resent automatically.' },
  BB_ARBIN_CHANNEL_MISMATCH: { meaning: 'A get-channels-info feedback describes another channel than requested, or a requested channel is missing from an all-channels reply.' },
  BB_ARBIN_CONTROL_NOT_ALLOWED: { meaning: 'The login reply says allow_control = 0 (read-only user, README §4.1); control commands are refused before sending.' },
  BB_ARBIN_CLOSED: { meaning: 'The client was closed; pending and new requests fail.' },
} as const satisfies ErrorCatalogue;

/** One of the driver's error codes. */
export type ArbinCtiErrorCode = keyof typeof ERROR_CODES;

/**
 * The default {@link CommandOutcome} of each code, decided by where it is raised: `not_sent` for checks
 * before writing (arguments, credentials, control permission, no connection, closed while queued; a
 * lost connection overrides its `unknown` with `not_sent` for requests that were never written);
 * `refused` for a login the cycler refused; `unknown` for everything raised after the bytes left
 * (timeouts, a lost connection, feedback that cannot be decoded or does not match).
 */
export const ARBIN_ERROR_OUTCOMES: Readonly<Record<ArbinCtiErrorCode, CommandOutcome>> = Object.freeze({
  BB_ARBIN_BAD_TOKEN: 'unknown',
  BB_ARBIN_FRAME_TOO_LARGE: 'unknown',
  BB_ARBIN_FRAME_TOO_SHORT: 'unknown',
  BB_ARBIN_BAD_CHECKSUM: 'unknown',
  BB_ARBIN_UNEXPECTED_COMMAND: 'unknown',
  BB_ARBIN_TRUNCATED: 'unknown',
  BB_ARBIN_INVALID_ARGUMENT: 'not_sent',
  BB_ARBIN_CREDENTIALS_MISSING: 'not_sent',
  BB_ARBIN_LOGIN_FAILED: 'refused',
  BB_ARBIN_TIMEOUT: 'unknown',
  BB_ARBIN_NOT_CONNECTED: 'not_sent',
  BB_ARBIN_CONNECTION_LOST: 'unknown',
  BB_ARBIN_OUTCOME_UNKNOWN: 'unknown',
  BB_ARBIN_CHANNEL_MISMATCH: 'unknown',
  BB_ARBIN_CONTROL_NOT_ALLOWED: 'not_sent',
  BB_ARBIN_CLOSED: 'not_sent',
});

/**
 * The error class of the Arbin CTI driver; `outcome` defaults to the code's ({@link ARBIN_ERROR_OUTCOMES}).
 *
 * @example new ArbinCtiError('BB_ARBIN_TIMEOUT', 'no feedback to get-channels-info in 10000 ms', { retriable: true })
 */
export class ArbinCtiError extends BusbarError {
  /** Narrowed code: one of {@link ERROR_CODES}. */
  declare readonly code: ArbinCtiErrorCode;
  /**
   * @param code - an entry of {@link ERROR_CODES}.
   * @param message - names the field, offset or value at fault (never a credential).
   * @param options - cause, retriable, context, outcome (default: the code's).
   */
  constructor(code: ArbinCtiErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, { ...options, outcome: options.outcome ?? ARBIN_ERROR_OUTCOMES[code] });
  }
}
