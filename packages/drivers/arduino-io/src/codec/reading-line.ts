/**
 * The sketch's reading line.
 *
 * Grammar (safety-rig reference §5, "Arduino → Pi"; the sketch prints it about once per second):
 *
 *   reading = "Ardu_Temp1:" counts "," "Ardu_Temp2:" counts "," "Ardu_Press:" counts   (then CR LF)
 *   counts  = 1*4DIGIT        ; raw 10-bit ADC counts 0..1023 of analog pins A0, A1, A2
 *
 * Decoding is strict where the original was loose (it accepted any `key:integer` items whose key
 * starts `Ardu_Temp`/`Ardu_Pres`): each of the three keys exactly once, in any order, nothing else,
 * counts within 0..1023. A failure names the item and its character offset; nothing is returned.
 *
 * Pure: no I/O, no timers.
 */
import { lineError } from '../errors.js';

/** Largest 10-bit ADC count (the sketch sends `analogRead` results, reference §5). */
export const ADC_MAX_COUNTS = 1023;

/** The three analog inputs of one reading line, raw ADC counts 0..1023. */
export interface RawReading {
  /** `Ardu_Temp1`: thermistor 1 divider, analog pin A0, counts. */
  readonly temperature1Counts: number;
  /** `Ardu_Temp2`: thermistor 2 divider, analog pin A1, counts. */
  readonly temperature2Counts: number;
  /** `Ardu_Press`: pressure transducer, analog pin A2, counts. */
  readonly pressureCounts: number;
}

const KEYS = { Ardu_Temp1: 'temperature1Counts', Ardu_Temp2: 'temperature2Counts', Ardu_Press: 'pressureCounts' } as const;
type Key = keyof typeof KEYS;
const ORDER: readonly Key[] = ['Ardu_Temp1', 'Ardu_Temp2', 'Ardu_Press'];

/**
 * Decodes one line (without its CR LF, as the framer returns it).
 *
 * @param line - e.g. `Ardu_Temp1:512,Ardu_Temp2:498,Ardu_Press:102`.
 * @returns the raw counts.
 * @throws {ArduinoError} `BB_ARDUINO_LINE_INVALID` naming the item (`item 2 "Ardu_Temp2:x"`), its
 *   offset and what was expected.
 */
export function decodeReadingLine(line: string): RawReading {
  const values: Partial<Record<Key, number>> = {};
  let offset = 0;
  const items = line.split(',');
  items.forEach((item, i) => {
    const where = `item ${i + 1} ${JSON.stringify(item)} at offset ${offset}`;
    const ctx = { item: i + 1, offset, line };
    const colon = item.indexOf(':');
    if (colon < 0) throw lineError('BB_ARDUINO_LINE_INVALID', `${where}: expected key:counts`, ctx);
    const key = item.slice(0, colon);
    const text = item.slice(colon + 1);
    if (!(key in KEYS)) throw lineError('BB_ARDUINO_LINE_INVALID', `${where}: unknown key ${JSON.stringify(key)} (expected ${ORDER.join(', ')})`, ctx);
    const k = key as Key;
    if (values[k] !== undefined) throw lineError('BB_ARDUINO_LINE_INVALID', `${where}: key ${k} repeated`, ctx);
    if (!/^[0-9]{1,4}$/.test(text)) throw lineError('BB_ARDUINO_LINE_INVALID', `${where}: counts must be an integer 0..${ADC_MAX_COUNTS}`, ctx);
    const n = Number(text);
    if (n > ADC_MAX_COUNTS) throw lineError('BB_ARDUINO_LINE_INVALID', `${where}: counts ${n} above the 10-bit ADC maximum ${ADC_MAX_COUNTS}`, ctx);
    values[k] = n;
    offset += item.length + 1;
  });
  const missing = ORDER.filter((k) => values[k] === undefined);
  if (missing.length > 0) throw lineError('BB_ARDUINO_LINE_INVALID', `line ${JSON.stringify(line)} lacks ${missing.join(', ')}`, { line, missing: missing.join(',') });
  return { temperature1Counts: values.Ardu_Temp1!, temperature2Counts: values.Ardu_Temp2!, pressureCounts: values.Ardu_Press! };
}

/**
 * Encodes a reading line as the sketch prints it, with its CR LF (used by the simulator).
 *
 * @param r - counts, integers 0..1023.
 * @returns e.g. `Ardu_Temp1:512,Ardu_Temp2:498,Ardu_Press:102\r\n`.
 * @throws {RangeError} when a count is not an integer 0..1023 (a programming error of the caller).
 */
export function encodeReadingLine(r: RawReading): string {
  for (const k of ORDER) {
    const v = r[KEYS[k]];
    if (!Number.isInteger(v) || v < 0 || v > ADC_MAX_COUNTS) throw new RangeError(`${KEYS[k]} must be an integer 0..${ADC_MAX_COUNTS} (got ${v})`);
  }
  return `Ardu_Temp1:${r.temperature1Counts},Ardu_Temp2:${r.temperature2Counts},Ardu_Press:${r.pressureCounts}\r\n`;
}
