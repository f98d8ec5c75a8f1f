/**
 * Errors of `@busbar/driver-arduino-io` and their catalogue.
 *
 * Every error is a {@link BusbarError} with a code `BB_ARDUINO_<REASON>`. Line and command errors are
 * raised by the pure codec (nothing is emitted, nothing is written); connection, timeout and silence
 * errors come from the client. Protocol facts: safety-rig reference §5 (the sketch's line protocol).
 */
import { BusbarError } from '@busbar/core';
import type { BusbarErrorOptions, ErrorCatalogue, ErrorContext } from '@busbar/core';

/** Every code this package raises (checked against `docs/errors.md` by a repository test). */
export const ERROR_CODES = {
  BB_ARDUINO_CONFIG_INVALID: {
    meaning: 'The Arduino I/O configuration is invalid (pin whitelist, thermistor table, pressure scaling, timeouts); the message names the field. Fix the configuration: safety-relevant values are never defaulted.',
  },
  BB_ARDUINO_LINE_TOO_LONG: {
    meaning: 'A line from the board grew beyond the framer limit (128 bytes by default) without a line feed; it is dropped up to the next line feed and nothing is emitted (safety-rig reference §5: lines are about 50 bytes).',
  },
  BB_ARDUINO_LINE_INVALID: {
    meaning: 'A line from the board is not `Ardu_Temp1:<n>,Ardu_Temp2:<n>,Ardu_Press:<n>` with integer ADC counts 0..1023 (a missing, repeated or unknown key, a non-integer, a non-ASCII byte); the message names the item and offset; nothing is emitted.',
  },
  BB_ARDUINO_PIN_NOT_ALLOWED: {
    meaning: 'An output command named a pin that is not in the configured whitelist; refused before any byte was written (the sketch itself would drive any pin, reference §5).',
  },
  BB_ARDUINO_COMMAND_INVALID: {
    meaning: 'An output command is empty, names a pin twice, has a non-integer pin, or is longer than the 30 bytes the sketch reads at once (reference §5); refused before any byte was written.',
  },
  BB_ARDUINO_CONNECTION: {
    meaning: 'The serial port could not be opened, was lost (device unplugged, port error) or the client was closed; retriable by opening a new session (the client never reconnects by itself).',
  },
  BB_ARDUINO_TIMEOUT: {
    meaning: 'The board did not send its first valid line within `firstLineTimeoutMs` after opening, or a command was not written out (drained) within `writeTimeoutMs`; retriable.',
  },
  BB_ARDUINO_SILENT: {
    meaning: 'No valid reading line arrived for `silenceTimeoutMs` (the sketch sends one about every second, reference §5); the session is reported lost.',
  },
} as const satisfies ErrorCatalogue;

/** One code of {@link ERROR_CODES}. */
export type ArduinoErrorCode = keyof typeof ERROR_CODES;

/** Thrown (or reported) by every part of this driver; `code` is one of {@link ERROR_CODES}. */
export class ArduinoError extends BusbarError {
  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - specific: names the field, item, pin or offset at fault.
   * @param options - cause, retriable, context, outcome.
   */
  constructor(code: ArduinoErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Shorthand for a codec error about a line (`BB_ARDUINO_LINE_INVALID` / `_TOO_LONG`). */
export function lineError(code: 'BB_ARDUINO_LINE_INVALID' | 'BB_ARDUINO_LINE_TOO_LONG', message: string, context: ErrorContext): ArduinoError {
  return new ArduinoError(code, message, { context });
}
