/**
 * The sketch's output command.
 *
 * Grammar (safety-rig reference §5, "Pi → Arduino"; no terminator, no reply):
 *
 *   command = item *("&" item)          item = pin ":" ("0" / "1")          pin = 1*2DIGIT
 *
 * e.g. `6:1&7:1` = pins 6 and 7 high. The sketch reads at most 30 bytes at once, splits on `&` and
 * `:`, converts both parts with `atoi` and calls `digitalWrite` on ANY pin, without validation or
 * acknowledgement. So Busbar validates before writing: every pin must be in the configured whitelist,
 * no pin twice, and the whole command must fit the sketch's 30-byte read.
 *
 * Pure: no I/O, no timers.
 */
import { ArduinoError } from '../errors.js';

/** Bytes the sketch reads per loop (reference §5): a longer command would be cut mid-item. */
export const SKETCH_COMMAND_MAX_BYTES = 30;

/** Desired output levels by digital pin number: `true` = high (on), `false` = low (off). */
export type PinLevels = Readonly<Record<number, boolean>>;

/**
 * Encodes an output command after checking it against the whitelist.
 *
 * @param levels - pin → level; pins in ascending order on the wire.
 * @param allowedPins - the configured whitelist of output pins.
 * @returns the ASCII command, e.g. `6:1&7:1` (no terminator: the sketch expects none).
 * @throws {ArduinoError} `BB_ARDUINO_PIN_NOT_ALLOWED` (a pin outside the whitelist),
 *   `BB_ARDUINO_COMMAND_INVALID` (no pin, a pin key that is not an integer 0..99, a level that is not
 *   boolean, more than 30 bytes) — outcome `not_sent`.
 */
export function encodeOutputCommand(levels: PinLevels, allowedPins: ReadonlySet<number>): string {
  const keys = Object.keys(levels);
  if (keys.length === 0) throw new ArduinoError('BB_ARDUINO_COMMAND_INVALID', 'an output command needs at least one pin', { outcome: 'not_sent' });
  const items: [number, boolean][] = [];
  for (const key of keys) {
    if (!/^[0-9]{1,2}$/.test(key)) throw new ArduinoError('BB_ARDUINO_COMMAND_INVALID', `pin ${JSON.stringify(key)} is not an integer 0..99`, { outcome: 'not_sent', context: { pin: key } });
    const pin = Number(key);
    const level = (levels as Record<string, unknown>)[key];
    if (typeof level !== 'boolean') throw new ArduinoError('BB_ARDUINO_COMMAND_INVALID', `level of pin ${pin} must be true or false (got ${JSON.stringify(level)})`, { outcome: 'not_sent', context: { pin } });
    if (!allowedPins.has(pin)) {
      throw new ArduinoError('BB_ARDUINO_PIN_NOT_ALLOWED', `pin ${pin} is not an allowed output (allowed: ${[...allowedPins].sort((a, b) => a - b).join(', ') || 'none'}); nothing was written`, { outcome: 'not_sent', context: { pin } });
    }
    items.push([pin, level]);
  }
  items.sort((a, b) => a[0] - b[0]);
  const text = items.map(([pin, on]) => `${pin}:${on ? 1 : 0}`).join('&');
  if (text.length > SKETCH_COMMAND_MAX_BYTES) {
    throw new ArduinoError('BB_ARDUINO_COMMAND_INVALID', `command ${JSON.stringify(text)} is ${text.length} bytes; the sketch reads at most ${SKETCH_COMMAND_MAX_BYTES} at once`, { outcome: 'not_sent', context: { bytes: text.length } });
  }
  return text;
}

/**
 * Parses a command the way the sketch does (reference §5: split on `&`, then `:`, `atoi` on both
 * parts): never throws; items the sketch would turn into `digitalWrite(0, 0)` are kept as such.
 * Used by the simulator to behave like the firmware, including with garbage.
 *
 * @param text - up to 30 bytes as the sketch read them.
 * @returns `[pin, value]` pairs in order, value = `atoi` of the second part (non-zero = high).
 */
export function parseOutputCommandLikeSketch(text: string): [pin: number, value: number][] {
  const out: [number, number][] = [];
  for (const item of text.split('&')) {
    if (item === '') continue; // strtok skips empty tokens
    const [p = '', v = ''] = item.split(':');
    out.push([atoi(p), atoi(v)]);
  }
  return out;
}

/** C `atoi`: optional leading spaces and sign, then digits; 0 when none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?[0-9]+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}
