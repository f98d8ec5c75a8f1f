/**
 * Errors of `@busbar/driver-modbus` and their catalogue.
 *
 * Every error extends {@link BusbarError} (code `BB_MODBUS_<REASON>`, `retriable`, `context`).
 * Configuration and write refusals are raised before any byte is sent; exceptions, timeouts and
 * connection losses come from the wire.
 *
 * Errors of a request carry {@link CommandOutcome} (`error.outcome`), decided by the client that
 * knows whether the bytes left: `not_sent` (refused by validation, not connected, or the read step
 * of a read-modify-write failed before the write), `refused` (an exception response, spec §7),
 * `unknown` (the request was sent, then a timeout, a lost link or a malformed response: the device
 * may have executed a write).
 *
 * Exception codes and names: Modbus Application Protocol Specification V1.1b3, §7 "MODBUS Exception
 * Responses" (table of codes 01–0B).
 */
import { BusbarError } from '@busbar/core';
import type { CommandOutcome, ErrorCatalogue, ErrorContext } from '@busbar/core';

/** Every code this package raises (checked against `docs/errors.md` by a repository test). */
export const ERROR_CODES = {
  BB_MODBUS_CONFIG_INVALID: {
    meaning: 'A register map, read-plan option or client option is invalid; the message names the field (e.g. `points[3].address: must be 0..65535`). Fix the configuration.',
  },
  BB_MODBUS_WRITE_OUT_OF_RANGE: {
    meaning: 'A write was refused before any byte was sent: the value is outside the point\'s `writable` range (engineering units) or not representable in its data type.',
  },
  BB_MODBUS_NOT_WRITABLE: {
    meaning: 'A write was refused before any byte was sent: the point has no `writable` range, is an input register or discrete input, or the value has the wrong type.',
  },
  BB_MODBUS_UNKNOWN_POINT: {
    meaning: 'A write named a point that is not in the device\'s register map; nothing was sent.',
  },
  BB_MODBUS_EXCEPTION: {
    meaning: 'The device answered with a Modbus exception response (spec §7); context has functionCode, address, exceptionCode and exceptionName.',
  },
  BB_MODBUS_TIMEOUT: {
    meaning: 'The device did not answer one request within `timeoutMs`; retriable.',
  },
  BB_MODBUS_CONNECTION: {
    meaning: 'The TCP connection or serial port could not be opened, was lost, or a request was made while disconnected; retriable (the client connects once and reports the loss; the collector runtime reconnects with core backoff and jitter).',
  },
  BB_MODBUS_RESPONSE_INVALID: {
    meaning: 'A response could not be matched to its request: wrong length, bad CRC (RTU), another unit id (TCP; on RTU an answer from another unit is ignored) or function code, fewer registers/bits than requested, or a value outside 0..65535. The read is discarded; after a write the device may have executed it (outcome `unknown`).',
  },
} as const satisfies ErrorCatalogue;

/**
 * Exception code → name, Modbus Application Protocol Specification V1.1b3 §7.
 * (Code 7, NEGATIVE ACKNOWLEDGE, comes from older Modicon documents and is kept for completeness.)
 */
export const MODBUS_EXCEPTION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x01: 'ILLEGAL FUNCTION',
  0x02: 'ILLEGAL DATA ADDRESS',
  0x03: 'ILLEGAL DATA VALUE',
  0x04: 'SERVER DEVICE FAILURE',
  0x05: 'ACKNOWLEDGE',
  0x06: 'SERVER DEVICE BUSY',
  0x07: 'NEGATIVE ACKNOWLEDGE',
  0x08: 'MEMORY PARITY ERROR',
  0x0a: 'GATEWAY PATH UNAVAILABLE',
  0x0b: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
});

/** The spec name of a Modbus exception code (`'UNKNOWN EXCEPTION'` for codes outside §7's table). */
export function modbusExceptionName(exceptionCode: number): string {
  return MODBUS_EXCEPTION_NAMES[exceptionCode] ?? 'UNKNOWN EXCEPTION';
}

/**
 * Thrown when a register map or an option is invalid (`BB_MODBUS_CONFIG_INVALID`). `issues` lists
 * every problem as `path: message`; `context.path` is the first path (e.g. `points[3].address`).
 */
export class ModbusConfigError extends BusbarError {
  /** Every problem found, `path: message`. */
  readonly issues: readonly string[];
  /** @param issues - `path: message` strings, at least one. */
  constructor(issues: readonly string[], options: { cause?: unknown } = {}) {
    const first = issues[0] ?? 'invalid configuration';
    super('BB_MODBUS_CONFIG_INVALID', `invalid Modbus configuration: ${issues.join('; ')}`, {
      cause: options.cause,
      context: { path: first.split(':')[0], issueCount: issues.length },
    });
    this.issues = Object.freeze([...issues]);
  }
}

/**
 * Thrown when a write is refused before any byte is sent: `BB_MODBUS_WRITE_OUT_OF_RANGE`,
 * `BB_MODBUS_NOT_WRITABLE` or `BB_MODBUS_UNKNOWN_POINT`. Never retriable; outcome `not_sent`.
 * Context: `point`, `value`, and `min`/`max` (engineering units) when a range applies.
 */
export class ModbusWriteRefusedError extends BusbarError {
  /**
   * @param code - the refusal reason.
   * @param message - names the point, the value and the limit.
   * @param context - point, value, min, max.
   */
  constructor(
    code: 'BB_MODBUS_WRITE_OUT_OF_RANGE' | 'BB_MODBUS_NOT_WRITABLE' | 'BB_MODBUS_UNKNOWN_POINT',
    message: string,
    context: ErrorContext,
  ) {
    super(code, message, { retriable: false, context, outcome: 'not_sent' });
  }
}

/** Where a request went: for the context of wire errors. */
export interface ModbusRequestContext {
  /** Function code of the request (1, 2, 3, 4, 5, 6, 15, 16). */
  readonly functionCode: number;
  /** 0-based PDU start address. */
  readonly address: number;
  /** Registers or bits requested/written. */
  readonly quantity?: number;
  /** Unit identifier (slave id). */
  readonly unitId: number;
}

/**
 * Thrown when the device answers with an exception response (`BB_MODBUS_EXCEPTION`, spec §7).
 * Retriable only for 5 ACKNOWLEDGE, 6 SERVER DEVICE BUSY and 0x0B GATEWAY TARGET FAILED. Outcome
 * ({@link exceptionOutcome}): `refused` — the device answered and did not execute the request —
 * except for 4 SERVER DEVICE FAILURE ("while attempting to perform"), 5 ACKNOWLEDGE ("accepted,
 * still processing") and 0x0B GATEWAY TARGET FAILED (the gateway forwarded it, the target did not
 * answer): `unknown`, the write may take effect. The client overrides it with `not_sent` when the
 * read step of a read-modify-write was refused: the write never left.
 */
export class ModbusExceptionError extends BusbarError {
  /** Function code of the request (without the 0x80 exception bit). */
  readonly functionCode: number;
  /** 0-based PDU address of the request. */
  readonly address: number;
  /** Exception code from the response (spec §7). */
  readonly exceptionCode: number;
  /** Spec name of {@link exceptionCode}, e.g. `ILLEGAL DATA ADDRESS`. */
  readonly exceptionName: string;
  /** @param request - the failed request; @param exceptionCode - code from the response PDU. */
  constructor(request: ModbusRequestContext, exceptionCode: number, options: { cause?: unknown; outcome?: CommandOutcome } = {}) {
    const exceptionName = modbusExceptionName(exceptionCode);
    super(
      'BB_MODBUS_EXCEPTION',
      `Modbus exception ${exceptionCode} (${exceptionName}) for function ${request.functionCode} at address ${request.address} of unit ${request.unitId}`,
      {
        cause: options.cause,
        outcome: options.outcome ?? exceptionOutcome(exceptionCode),
        retriable: exceptionCode === 0x05 || exceptionCode === 0x06 || exceptionCode === 0x0b,
        context: { ...request, exceptionCode, exceptionName },
      },
    );
    this.functionCode = request.functionCode;
    this.address = request.address;
    this.exceptionCode = exceptionCode;
    this.exceptionName = exceptionName;
  }
}

/**
 * Thrown when one request gets no answer within the timeout (`BB_MODBUS_TIMEOUT`, retriable). Outcome
 * `unknown` by default: the request left, so the device may have executed a write.
 */
export class ModbusTimeoutError extends BusbarError {
  /** Function code of the request. */
  readonly functionCode: number;
  /** 0-based PDU address of the request. */
  readonly address: number;
  /** @param request - the request that timed out; @param timeoutMs - the timeout that elapsed, ms. */
  constructor(request: ModbusRequestContext, timeoutMs: number, options: { cause?: unknown; outcome?: CommandOutcome } = {}) {
    const outcome = options.outcome ?? 'unknown';
    super(
      'BB_MODBUS_TIMEOUT',
      `no answer from unit ${request.unitId} to function ${request.functionCode} at address ${request.address} within ${timeoutMs} ms${outcome === 'unknown' && isWriteFunction(request.functionCode) ? ' (the device may have executed the write)' : ''}`,
      { cause: options.cause, retriable: true, outcome, context: { ...request, timeoutMs } },
    );
    this.functionCode = request.functionCode;
    this.address = request.address;
  }
}

/**
 * Thrown when the link cannot be opened, is lost, or a request is made while down (`BB_MODBUS_CONNECTION`,
 * retriable). Outcome as the client knows it: `not_sent` for a request made while disconnected,
 * `unknown` for a request in flight when the link was lost; none for connect failures.
 */
export class ModbusConnectionError extends BusbarError {
  /** @param message - what failed (connect refused, socket closed...); @param options - cause, context (endpoint, request), outcome. */
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext; outcome?: CommandOutcome } = {}) {
    super('BB_MODBUS_CONNECTION', message, { cause: options.cause, retriable: true, context: options.context ?? {}, ...(options.outcome ? { outcome: options.outcome } : {}) });
  }
}

/**
 * Thrown when a response does not match its request (`BB_MODBUS_RESPONSE_INVALID`, retriable):
 * malformed on the wire (length, CRC, unit id, function code — reported by the client) or with fewer
 * values than requested (reported by `decodeBlock`). Outcome `unknown` when the client raises it for a
 * sent request (the device may have executed a write); none from `decodeBlock`.
 */
export class ModbusResponseError extends BusbarError {
  /** @param message - what was expected and what came; @param context - block type, address, expected/actual counts; @param options - cause, outcome. */
  constructor(message: string, context: ErrorContext, options: { cause?: unknown; outcome?: CommandOutcome } = {}) {
    super('BB_MODBUS_RESPONSE_INVALID', message, { retriable: true, context, cause: options.cause, ...(options.outcome ? { outcome: options.outcome } : {}) });
  }
}

/** Whether a function code writes (5, 6, 15, 16): for messages that warn the device may have executed it. */
function isWriteFunction(functionCode: number): boolean {
  return functionCode === 5 || functionCode === 6 || functionCode === 15 || functionCode === 16;
}

/**
 * What an exception response says about a request that reached the device (spec §7): 4 SERVER
 * DEVICE FAILURE happened while performing it, 5 ACKNOWLEDGE accepted it for later, 0x0B GATEWAY
 * TARGET FAILED forwarded it without an answer — `unknown`; every other code refused it — `refused`.
 */
export function exceptionOutcome(exceptionCode: number): CommandOutcome {
  return exceptionCode === 0x04 || exceptionCode === 0x05 || exceptionCode === 0x0b ? 'unknown' : 'refused';
}
