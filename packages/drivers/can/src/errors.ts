/**
 * Errors of the CAN driver. Every error is a {@link BusbarError} with a code from
 * {@link ERROR_CODES}; the catalogue is the single list of codes this package raises.
 */
import { BusbarError } from '@busbar/core';
import type { BusbarErrorOptions, ErrorCatalogue } from '@busbar/core';

/** Every code `@busbar/driver-can` raises, with its meaning. */
export const ERROR_CODES = {
  BB_CAN_DBC_SYNTAX: { meaning: 'The DBC text is malformed (an unexpected token, a missing `:` or `;`, an unterminated string...); the message gives the line and column.' },
  BB_CAN_DBC_INVALID: { meaning: 'The DBC parses but describes something impossible: a signal outside its message, a duplicate message id or signal name, a multiplexed signal without a multiplexer, a bad SIG_VALTYPE_ length; the message gives the line and column.' },
  BB_CAN_UNKNOWN_MESSAGE: { meaning: 'No message of the DBC has this frame id (and extended flag), or no message has this name.' },
  BB_CAN_FRAME_LENGTH: { meaning: 'A frame has a different number of data bytes than its DBC message length (BO_ size), or more than 8 bytes on a classic CAN transport.' },
  BB_CAN_SIGNAL_MISSING: { meaning: 'Encoding needs a value for every signal of the message (and of the selected multiplexer branch); one was not given.' },
  BB_CAN_VALUE_OUT_OF_RANGE: { meaning: 'A value to encode is outside the signal minimum/maximum of the DBC, or its raw value does not fit the signal bit length, or is not finite.' },
  BB_CAN_FRAME_INVALID: { meaning: 'A CAN frame is not valid: id above 0x7FF (standard) or 0x1FFFFFFF (extended), or data longer than 8 bytes.' },
  BB_CAN_SOCKETCAND_MALFORMED: { meaning: 'The socketcand peer sent something that is not a `< ... >` element, an element longer than the cap, or a `frame` element whose id, time or data do not parse (socketcand doc/protocol.md, raw mode).' },
  BB_CAN_SOCKETCAND_ERROR: { meaning: 'The socketcand server answered `< error ... >` (e.g. it could not open the bus); the server text is in the message.' },
  BB_CAN_HANDSHAKE_FAILED: { meaning: 'The socketcand handshake (`< hi >`, `< open bus >` → `< ok >`, `< rawmode >` → `< ok >`) did not complete: an unexpected answer, or no answer within the timeout.' },
  BB_CAN_CONNECT_FAILED: { meaning: 'The TCP connection to the socketcand server could not be opened; the transport is not created (the collector runtime decides when to retry).' },
  BB_CAN_CONNECTION_LOST: { meaning: 'The transport lost its bus: the socketcand TCP connection closed or failed, or the SocketCAN channel stopped; `lost` resolves with this error.' },
  BB_CAN_TRANSPORT_CLOSED: { meaning: 'A frame was sent on a transport that was closed or lost; nothing was sent.' },
  BB_CAN_SOCKETCAN_UNAVAILABLE: { meaning: 'The native SocketCAN transport needs the npm `socketcan` module and a Linux CAN interface; the module did not load or the channel could not be opened.' },
  BB_CAN_INVALID_ARGUMENT: { meaning: 'A configuration value or call argument is outside its documented domain (node id range, period, staleness age, port...).' },
} as const satisfies ErrorCatalogue;

/** One code of {@link ERROR_CODES}. */
export type CanErrorCode = keyof typeof ERROR_CODES;

/** Base of every error this driver raises; `code` is one of {@link ERROR_CODES}. */
export class CanError extends BusbarError {
  declare readonly code: CanErrorCode;
  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - specific: names the message, signal, line/column or value at fault.
   * @param options - cause, retriable, context.
   */
  constructor(code: CanErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, options);
  }
}
