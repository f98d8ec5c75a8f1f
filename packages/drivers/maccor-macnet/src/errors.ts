/**
 * Errors of the Maccor MacNet driver. Every error is a {@link BusbarError} with a code from
 * {@link ERROR_CODES}; the catalogue is the single list of codes this package raises.
 *
 * Every error also carries a {@link CommandOutcome} (`error.outcome`), by default the one of its code
 * ({@link MACCOR_ERROR_OUTCOMES}): what a failed command did on the tester. The client overrides it
 * where it knows better: a BB_MACCOR_CLIENT_CLOSED of a request in flight is `unknown`; a failure of
 * a read-only pre-check of a start ((4,7), (1,2), (1,3), (1,4), (6,11)) is `not_sent` (the start
 * itself never left).
 */
import { BusbarError } from '@busbar/core';
import type { BusbarErrorOptions, CommandOutcome, ErrorCatalogue, ErrorContext } from '@busbar/core';

/** Every code `@busbar/driver-maccor-macnet` raises, with its meaning. */
export const ERROR_CODES = {
  BB_MACCOR_FRAME_GARBAGE: { meaning: 'The JSON stream held a byte outside a JSON object that is not whitespace (Maccor MacNet reference §3); the connection is reset.' },
  BB_MACCOR_FRAME_TOO_LARGE: { meaning: 'A JSON reply grew beyond the framing buffer cap (1 MiB by default) without closing (reference §3.3); the connection is reset.' },
  BB_MACCOR_FRAME_TOO_DEEP: { meaning: 'A JSON reply nests `{`/`[` deeper than the framing cap (32 by default; real replies nest at most 4); refused before parsing so that nothing downstream overflows the stack, and the connection is reset.' },
  BB_MACCOR_FRAME_INVALID_JSON: { meaning: 'A brace-balanced object on the JSON stream did not parse as JSON (reference §3).' },
  BB_MACCOR_BINARY_FRAME_INVALID: { meaning: 'A binary MacNet frame is shorter than its 8-byte header or its Len says (reference §5).' },
  BB_MACCOR_REPLY_MALFORMED: { meaning: 'A reply lacks the JSON-RPC `result`, or a field has the wrong type (reference §3.6, §4).' },
  BB_MACCOR_REPLY_MISMATCH: { meaning: 'The reply FClass/FNum/Chan/Len differ from the request: the stream is out of sync and the connection is reset (reference §3.5).' },
  BB_MACCOR_RPC_ERROR: { meaning: 'The tester answered with a JSON-RPC error (Parse error, Invalid FClass, Illegal value...); the error carries the tester message (reference §4).' },
  BB_MACCOR_FUNCTION_UNSUPPORTED: { meaning: 'The peer answered `{"err": ...}` without an envelope: it does not implement the function (MaccorSpoofer does this, reference §13).' },
  BB_MACCOR_COMMAND_REJECTED: { meaning: 'A command reply carried a Result other than "OK"; the raw Result and its documented meaning are in the context (reference §4, §6.7-§6.10).' },
  BB_MACCOR_INVALID_ARGUMENT: { meaning: 'A call argument is outside its documented domain (channel number, VarNum 1-15, name length, set-point combination...).' },
  BB_MACCOR_CHANNEL_OUT_OF_RANGE: { meaning: 'The channel is not 1..TestChannels of the tester (reference §6.2, §6.4).' },
  BB_MACCOR_TIMEOUT: { meaning: 'No reply within the request timeout; the connection was destroyed so that a late reply cannot be taken for the next one (reference §3.4).' },
  BB_MACCOR_UDP_NO_REPLY: { meaning: 'No reply datagram to a binary UDP request within the request timeout (reference §2: the tester replies to the sender); the datagram may or may not have been applied, so the outcome is unknown and the driver never re-sends it.' },
  BB_MACCOR_UDP_SEND_FAILED: { meaning: 'The binary UDP datagram could not be sent (socket bind, address lookup or send error); nothing reached the tester.' },
  BB_MACCOR_UDP_DATAGRAM_INVALID: { meaning: 'A datagram from the tester is not exactly one binary frame (8-byte header plus Len data bytes, reference §2, §5); the outcome of the request is unknown.' },
  BB_MACCOR_CONNECT_FAILED: { meaning: 'The TCP connection to the tester could not be opened. The client connects once and does not retry: the collector runtime opens a new session with backoff.' },
  BB_MACCOR_CONNECTION_CLOSED: { meaning: 'The tester closed the connection while a request was in flight.' },
  BB_MACCOR_CLIENT_CLOSED: { meaning: 'The client was closed; queued and new requests are refused.' },
  BB_MACCOR_CONNECTION_LOST: { meaning: 'The MacNet connection was lost earlier (peer closed, timeout, stream fault) or could not be opened; a client connects once and never reconnects, so queued and new requests are refused and nothing was written. The collector runtime opens a new session.' },
  BB_MACCOR_SAFETY_ECHO_MISMATCH: { meaning: 'The (6,10) safety-limit echo differs from what was sent by more than the tolerance; the start was aborted (reference §6.6, §8.7).' },
  BB_MACCOR_CHANNEL_NOT_AVAILABLE: { meaning: 'A start was refused because the channel is not available (its Stat is named in the message) (reference §8.2).' },
  BB_MACCOR_PROCEDURE_MISSING: { meaning: 'A start was refused because (1,3) says the procedure does not exist on the tester (reference §10.2).' },
  BB_MACCOR_TEST_NAME_EXISTS: { meaning: 'A start was refused because (1,4) says the test name already exists in the archive; names must be unique (reference §8.8).' },
  BB_MACCOR_START_CHECK_FAILED: { meaning: 'A start was refused because (6,11) check test start did not answer OK; the reason is in the message (reference §10.2).' },
  BB_MACCOR_DIRECT_MODE_UNSUPPORTED: { meaning: 'Direct control was refused because (1,2) SystemType is not 0 (reference §8.1).' },
  BB_MACCOR_ENVELOPE_REFUSED: { meaning: 'A direct-control set-point is outside the channel envelope (voltage, current or power limit) and was not sent.' },
} as const satisfies ErrorCatalogue;

/** One code of {@link ERROR_CODES}. */
export type MaccorErrorCode = keyof typeof ERROR_CODES;

/**
 * The {@link CommandOutcome} of each code, decided by where it is raised:
 * - `not_sent`: raised before the request was written (argument checks, connect or UDP send failure,
 *   a queued request of a closed client, a start aborted by Busbar after a (6,10) echo mismatch);
 * - `refused`: the tester answered and refused (JSON-RPC error, function not implemented, a Result
 *   other than OK, a start pre-check the tester's answer failed, SystemType not 0);
 * - `unknown`: the request was written and no valid answer came back (timeout, connection closed, a
 *   framing fault or a reply that does not match): the tester may have executed it.
 */
export const MACCOR_ERROR_OUTCOMES: Readonly<Record<MaccorErrorCode, CommandOutcome>> = Object.freeze({
  BB_MACCOR_FRAME_GARBAGE: 'unknown',
  BB_MACCOR_FRAME_TOO_LARGE: 'unknown',
  BB_MACCOR_FRAME_TOO_DEEP: 'unknown',
  BB_MACCOR_FRAME_INVALID_JSON: 'unknown',
  BB_MACCOR_BINARY_FRAME_INVALID: 'unknown',
  BB_MACCOR_REPLY_MALFORMED: 'unknown',
  BB_MACCOR_REPLY_MISMATCH: 'unknown',
  BB_MACCOR_RPC_ERROR: 'refused',
  BB_MACCOR_FUNCTION_UNSUPPORTED: 'refused',
  BB_MACCOR_COMMAND_REJECTED: 'refused',
  BB_MACCOR_INVALID_ARGUMENT: 'not_sent',
  BB_MACCOR_CHANNEL_OUT_OF_RANGE: 'not_sent',
  BB_MACCOR_TIMEOUT: 'unknown',
  BB_MACCOR_UDP_NO_REPLY: 'unknown',
  BB_MACCOR_UDP_SEND_FAILED: 'not_sent',
  BB_MACCOR_UDP_DATAGRAM_INVALID: 'unknown',
  BB_MACCOR_CONNECT_FAILED: 'not_sent',
  BB_MACCOR_CONNECTION_CLOSED: 'unknown',
  BB_MACCOR_CLIENT_CLOSED: 'not_sent',
  BB_MACCOR_CONNECTION_LOST: 'not_sent',
  BB_MACCOR_SAFETY_ECHO_MISMATCH: 'not_sent',
  BB_MACCOR_CHANNEL_NOT_AVAILABLE: 'refused',
  BB_MACCOR_PROCEDURE_MISSING: 'refused',
  BB_MACCOR_TEST_NAME_EXISTS: 'refused',
  BB_MACCOR_START_CHECK_FAILED: 'refused',
  BB_MACCOR_DIRECT_MODE_UNSUPPORTED: 'refused',
  BB_MACCOR_ENVELOPE_REFUSED: 'not_sent',
});

/**
 * Base of every error this driver raises; `code` is one of {@link ERROR_CODES}, `outcome` defaults to
 * the code's ({@link MACCOR_ERROR_OUTCOMES}).
 */
export class MaccorError extends BusbarError {
  declare readonly code: MaccorErrorCode;
  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - specific: names the field, channel or value at fault.
   * @param options - cause, retriable, context, outcome (default: the code's).
   */
  constructor(code: MaccorErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, { ...options, outcome: options.outcome ?? MACCOR_ERROR_OUTCOMES[code] });
  }
}

/**
 * The same error with another outcome (code, message, retriable, context and cause kept; a plain
 * {@link MaccorError}); `err` itself when it has that outcome already or is not a {@link MaccorError}.
 */
export function withOutcome(err: unknown, outcome: CommandOutcome): unknown {
  if (!(err instanceof MaccorError) || err.outcome === outcome) return err;
  return new MaccorError(err.code, err.message, { cause: err.cause, retriable: err.retriable, context: err.context, outcome });
}

/**
 * Thrown when the tester answers with a JSON-RPC `error` member (Maccor MacNet reference §4,
 * vendor help p.2); outcome `refused`. `testerMessage` is the tester's text, e.g. `"Invalid FClass"`; `rpcCode`
 * is the numeric `error.code` when present (the vendor documents no values).
 */
export class MaccorRpcError extends MaccorError {
  /** The tester's message, verbatim. */
  readonly testerMessage: string;
  /** JSON-RPC `error.code`, when the tester sent one. */
  readonly rpcCode: number | undefined;
  /**
   * @param testerMessage - `error.message` as received.
   * @param rpcCode - `error.code` as received.
   * @param context - FClass, FNum, Chan of the request.
   */
  constructor(testerMessage: string, rpcCode: number | undefined, context: ErrorContext = {}) {
    super('BB_MACCOR_RPC_ERROR', `tester error: ${testerMessage}`, { context: { ...context, rpcCode, testerMessage } });
    this.testerMessage = testerMessage;
    this.rpcCode = rpcCode;
  }
}

/**
 * Thrown when a command's `Result` is not `"OK"` (Maccor MacNet reference §4); outcome `refused`. `result` keeps the
 * raw value (string or number); `meaning` is the vendor table's text for a numeric code, if known.
 */
export class MaccorCommandRejectedError extends MaccorError {
  /** The raw `Result` value. */
  readonly result: string | number;
  /** Documented meaning of a numeric result, else the text itself. */
  readonly meaning: string;
  /**
   * @param fclass - function class of the command.
   * @param fnum - function number of the command.
   * @param result - raw Result.
   * @param meaning - decoded meaning.
   * @param context - extra context (channel).
   */
  constructor(fclass: number, fnum: number, result: string | number, meaning: string, context: ErrorContext = {}) {
    super('BB_MACCOR_COMMAND_REJECTED', `(${fclass},${fnum}) rejected: ${meaning} (Result ${JSON.stringify(result)})`, {
      context: { ...context, fclass, fnum, result: String(result), meaning },
    });
    this.result = result;
    this.meaning = meaning;
  }
}
