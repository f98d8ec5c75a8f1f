/**
 * Errors of the Corus driver: one class, {@link CorusError}, with a stable code from
 * {@link ERROR_CODES}. Situations and the chosen behaviour follow itron-corus README §11.
 *
 * Every error carries a {@link CommandOutcome} (`error.outcome`), by default its code's
 * ({@link CORUS_ERROR_OUTCOMES}); the session overrides it where it knows better: anything that fails
 * before a write frame left (opening or signing on the link, the map check, a request refused before
 * writing) is `not_sent`, anything after it `unknown`. A device's NAK to a write is a result
 * (`WriteResult.accepted: false`, `outcome: 'refused'`), not an error.
 */
import { BusbarError, type BusbarErrorOptions, type CommandOutcome, type ErrorCatalogue } from '@busbar/core';

/** Every code the Corus driver raises (itron-corus README §11 lists the situations). */
export const ERROR_CODES = {
  BB_CORUS_FRAME_CRC: { meaning: 'A frame arrived with a CRC-16/UMTS that does not match its bytes (README §4.5). Retriable: the request is repeated in a new session (reads) or the database frame is NAKed (§9.4).' },
  BB_CORUS_FRAME_TRUNCATED: { meaning: 'A frame ended before LEN data bytes, ETX and the two CRC bytes arrived (README §4.3).' },
  BB_CORUS_FRAME_ETX: { meaning: 'The byte after the LEN data bytes is not ETX 0x03: the stream is out of step (README §4.3, §11).' },
  BB_CORUS_FRAME_UNEXPECTED_BYTE: { meaning: 'A byte other than SOH/ACK/NAK arrived where a frame or a single-byte answer was expected (README §2.3, §11).' },
  BB_CORUS_FRAME_TOO_LONG: { meaning: 'A frame would carry more than 255 (or the configured maximum) DATA bytes (README §4.7).' },
  BB_CORUS_RESPONSE_LENGTH: { meaning: 'A read answer is not as long as the sum of the requested classes (README §5, §11).' },
  BB_CORUS_DB_FRAME_ORDER: { meaning: 'A database frame number is not the previous number + 1 (README §9.3).' },
  BB_CORUS_DB_PARTIAL_RECORD: { meaning: 'The database byte stream is not a whole number of RECSIZE-byte records (README §9.3).' },
  BB_CORUS_DB_RETRIES_EXHAUSTED: { meaning: 'A database frame still had a bad CRC after the allowed NAKs (README §9.4, §10).' },
  BB_CORUS_ID_OUT_OF_RANGE: { meaning: 'A parameter id outside 0..4095 cannot be encoded (README §4.6).' },
  BB_CORUS_VALUE_INVALID: { meaning: 'Bytes that decode to no valid value: NaN/Infinity Float, impossible Date fields (README §8.3.6, §8.3.12).' },
  BB_CORUS_VALUE_OUT_OF_RANGE: { meaning: 'A value cannot be represented exactly in its data class or lies outside the configured range (README §8.2, §6).' },
  BB_CORUS_VALUE_TYPE: { meaning: 'A value of the wrong kind for its data class (e.g. text for a Float) (README §8).' },
  BB_CORUS_CONFIG_INVALID: { meaning: 'The parameter map or log layout configuration is invalid; the message names the field (README §7, §9.6).' },
  BB_CORUS_UNKNOWN_PARAMETER: { meaning: 'A parameter name or id is not in the configured map (README §7.1).' },
  BB_CORUS_NO_LAYOUT: { meaning: 'No configured record layout for this log and record length (README §9.6, §11).' },
  BB_CORUS_MAP_MISMATCH: { meaning: 'The map name read from id 0x5E differs from the configured map: nothing is read or written (README §7.1).' },
  BB_CORUS_NOT_WRITABLE: { meaning: 'A write to a parameter the map marks read-only was refused before sending (README §6 safety).' },
  BB_CORUS_WRITE_REFUSED: { meaning: 'The device answered a write with something other than ACK (README §6, §11): a NAK before anything was written is a refusal (REJECTED), after an ACKed frame the write is partly executed (FAILED), another byte leaves it unknown (FAILED). Never retried automatically.' },
  BB_CORUS_REQUEST_REFUSED: { meaning: 'The device answered a read or database request with a lone NAK (README §5, §11).' },
  BB_CORUS_WAKEUP_FAILED: { meaning: 'The device did not answer the wake-up with 00 00 00 after the configured attempts (README §3.1).' },
  BB_CORUS_AUTH_FAILED: { meaning: 'The password step did not end with ACK, or the password message CRC was wrong (README §3.4).' },
  BB_CORUS_PROTOCOL: { meaning: 'The device sent something the sign-on sequence does not allow (README §3, §11).' },
  BB_CORUS_TIMEOUT: { meaning: 'No (complete) answer within the step timeout (README §10).' },
  BB_CORUS_CONNECTION_CLOSED: { meaning: 'The device or link closed the connection (README §11: distinct from a protocol error).' },
  BB_CORUS_CONNECT_FAILED: { meaning: 'The TCP connection or serial port could not be opened.' },
  BB_CORUS_SESSION_CLOSED: { meaning: 'The CorusSession was closed, or its link failed to open or was lost (the session is not reused: open a new one), before or while the operation was queued or running.' },
  BB_CORUS_SERIAL_UNAVAILABLE: { meaning: 'The optional `serialport` package could not be loaded for a serial transport.' },
  BB_CORUS_STALE_ANSWER: { meaning: 'An answer that belongs to no request in flight: bytes before a request left, or a second answer within the settle time after one (a duplicated or late answer). The protocol has no request ids (README §3.5, §4.3), so the answer is not used and the link is dropped; reconnecting discards the late bytes.' },
  BB_CORUS_LINK_LOST: { meaning: 'A request on a link that was already dropped (after a fault, a NAK or a stale answer) or closed by the peer: nothing was sent. Open a new link.' },
  BB_CORUS_INTER_CHARACTER_TIMEOUT: { meaning: 'An answer stopped arriving in the middle: no byte for longer than the inter-character timeout (README §10: 2 s between bytes).' },
  BB_CORUS_PARITY: { meaning: 'A sign-on character received on a serial line had the wrong even parity (7E1 expected, README §2.2).' },
  BB_CORUS_CLOCK_SET_BACK: { meaning: 'Not a failure but a fact for a FAULT DeviceEvent: the device clock was set back (log record times went backwards, or the clock parameter reads behind the last published record). The records it logs again over times already published are published, flagged `relogged` (README "Log cursor", §8.3.12, §9).' },
  BB_CORUS_BAUD_UNSUPPORTED: { meaning: 'The baud-rate character Z of the option select is not in the IEC 62056-21 mode C table (0..6, README §2.2) and no fixed session baud rate is configured for the serial line.' },
} as const satisfies ErrorCatalogue;

/** One of the codes in {@link ERROR_CODES}. */
export type CorusErrorCode = keyof typeof ERROR_CODES;

/** Codes retriable by default: the same request in a new session may succeed (README §10, §11). */
const RETRIABLE: ReadonlySet<CorusErrorCode> = new Set<CorusErrorCode>([
  'BB_CORUS_FRAME_CRC',
  'BB_CORUS_FRAME_TRUNCATED',
  'BB_CORUS_FRAME_ETX',
  'BB_CORUS_FRAME_UNEXPECTED_BYTE',
  'BB_CORUS_DB_FRAME_ORDER',
  'BB_CORUS_DB_RETRIES_EXHAUSTED',
  'BB_CORUS_WAKEUP_FAILED',
  'BB_CORUS_PROTOCOL',
  'BB_CORUS_TIMEOUT',
  'BB_CORUS_CONNECTION_CLOSED',
  'BB_CORUS_CONNECT_FAILED',
  'BB_CORUS_STALE_ANSWER',
  'BB_CORUS_LINK_LOST',
  'BB_CORUS_INTER_CHARACTER_TIMEOUT',
  'BB_CORUS_PARITY',
]);

/**
 * The default {@link CommandOutcome} of each code: `not_sent` for checks and sign-on failures before a
 * request (configuration, values, map, link opening), `refused` for a device's NAK/refusal, `unknown`
 * for faults after a request left (timeouts, a closed connection, frames that do not decode).
 */
export const CORUS_ERROR_OUTCOMES: Readonly<Record<CorusErrorCode, CommandOutcome>> = Object.freeze({
  BB_CORUS_FRAME_CRC: 'unknown',
  BB_CORUS_FRAME_TRUNCATED: 'unknown',
  BB_CORUS_FRAME_ETX: 'unknown',
  BB_CORUS_FRAME_UNEXPECTED_BYTE: 'unknown',
  BB_CORUS_FRAME_TOO_LONG: 'not_sent',
  BB_CORUS_RESPONSE_LENGTH: 'unknown',
  BB_CORUS_DB_FRAME_ORDER: 'unknown',
  BB_CORUS_DB_PARTIAL_RECORD: 'unknown',
  BB_CORUS_DB_RETRIES_EXHAUSTED: 'unknown',
  BB_CORUS_ID_OUT_OF_RANGE: 'not_sent',
  BB_CORUS_VALUE_INVALID: 'not_sent',
  BB_CORUS_VALUE_OUT_OF_RANGE: 'not_sent',
  BB_CORUS_VALUE_TYPE: 'not_sent',
  BB_CORUS_CONFIG_INVALID: 'not_sent',
  BB_CORUS_UNKNOWN_PARAMETER: 'not_sent',
  BB_CORUS_NO_LAYOUT: 'not_sent',
  BB_CORUS_MAP_MISMATCH: 'not_sent',
  BB_CORUS_NOT_WRITABLE: 'not_sent',
  BB_CORUS_WRITE_REFUSED: 'refused',
  BB_CORUS_REQUEST_REFUSED: 'refused',
  BB_CORUS_WAKEUP_FAILED: 'not_sent',
  BB_CORUS_AUTH_FAILED: 'not_sent',
  BB_CORUS_PROTOCOL: 'not_sent',
  BB_CORUS_TIMEOUT: 'unknown',
  BB_CORUS_CONNECTION_CLOSED: 'unknown',
  BB_CORUS_CONNECT_FAILED: 'not_sent',
  BB_CORUS_SESSION_CLOSED: 'not_sent',
  BB_CORUS_SERIAL_UNAVAILABLE: 'not_sent',
  BB_CORUS_STALE_ANSWER: 'unknown',
  BB_CORUS_LINK_LOST: 'not_sent',
  BB_CORUS_INTER_CHARACTER_TIMEOUT: 'unknown',
  BB_CORUS_PARITY: 'not_sent',
  BB_CORUS_BAUD_UNSUPPORTED: 'not_sent',
  BB_CORUS_CLOCK_SET_BACK: 'not_sent',
});

/**
 * Thrown by every part of the Corus driver. `code` is one of {@link ERROR_CODES}; `retriable`
 * defaults from the code (link faults yes; refusals, configuration and value errors no) and can be
 * overridden (a write is never retried whatever the cause: README §10).
 */
export class CorusError extends BusbarError {
  declare readonly code: CorusErrorCode;
  /**
   * @param code - a code of {@link ERROR_CODES}.
   * @param message - names the field, offset or value at fault.
   * @param options - cause, context; `retriable` and `outcome` default from the code (an `outcome` given as
   *   `undefined` means none: e.g. a write partly executed).
   */
  constructor(code: CorusErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, { ...options, retriable: options.retriable ?? RETRIABLE.has(code), outcome: 'outcome' in options ? options.outcome : CORUS_ERROR_OUTCOMES[code] });
  }
}

/**
 * The same error with another outcome (code, message, retriable, context and cause kept); `err`
 * itself when it has that outcome already or is not a {@link CorusError}.
 */
export function withOutcome(err: unknown, outcome: CommandOutcome): unknown {
  if (!(err instanceof CorusError) || err.outcome === outcome) return err;
  return new CorusError(err.code, err.message, { cause: err.cause, retriable: err.retriable, context: err.context, outcome });
}
