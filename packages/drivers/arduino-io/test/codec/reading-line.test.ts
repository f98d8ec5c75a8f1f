import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeReadingLine, encodeReadingLine } from '../../src/codec/reading-line.js';
import { LineFramer } from '../../src/codec/line-framer.js';
import { ArduinoError } from '../../src/errors.js';

interface ReadingVector { wire: string; temperature1Counts: number; temperature2Counts: number; pressureCounts: number }
const VECTORS = (JSON.parse(readFileSync(new URL('../vectors/lines.json', import.meta.url), 'utf8')) as { readings: ReadingVector[] }).readings;

describe('reading line', () => {
  it.each(VECTORS)('decodes $wire (framed from the wire bytes)', (v) => {
    const framed = new LineFramer().push(Buffer.from(v.wire, 'latin1'));
    expect(framed).toHaveLength(1);
    const line = framed[0]!;
    expect(line.kind).toBe('line');
    if (line.kind !== 'line') return;
    expect(decodeReadingLine(line.text)).toEqual({ temperature1Counts: v.temperature1Counts, temperature2Counts: v.temperature2Counts, pressureCounts: v.pressureCounts });
  });

  it.each(VECTORS)('encodes to the wire bytes $wire', (v) => {
    expect(encodeReadingLine(v)).toBe(v.wire);
  });

  it('accepts the keys in another order', () => {
    expect(decodeReadingLine('Ardu_Press:3,Ardu_Temp2:2,Ardu_Temp1:1')).toEqual({ temperature1Counts: 1, temperature2Counts: 2, pressureCounts: 3 });
  });

  const malformed: [string, string, RegExp][] = [
    ['empty', '', /item 1 "" at offset 0: expected key:counts/],
    ['no colon', 'Ardu_Temp1=5,Ardu_Temp2:1,Ardu_Press:1', /item 1 "Ardu_Temp1=5" at offset 0: expected key:counts/],
    ['unknown key', 'Ardu_Temp1:5,Ardu_Temp3:1,Ardu_Press:1', /item 2 "Ardu_Temp3:1" at offset 13: unknown key "Ardu_Temp3"/],
    ['A3 sent as well', 'Ardu_Temp1:5,Ardu_Temp2:1,Ardu_Press:1,Ardu_Curr:4', /item 4 .*unknown key "Ardu_Curr"/],
    ['repeated key', 'Ardu_Temp1:5,Ardu_Temp1:6,Ardu_Press:1', /item 2 .*key Ardu_Temp1 repeated/],
    ['missing key', 'Ardu_Temp1:5,Ardu_Press:1', /lacks Ardu_Temp2/],
    ['negative', 'Ardu_Temp1:-5,Ardu_Temp2:1,Ardu_Press:1', /item 1 .*counts must be an integer 0\.\.1023/],
    ['decimal', 'Ardu_Temp1:5.5,Ardu_Temp2:1,Ardu_Press:1', /counts must be an integer/],
    ['empty value', 'Ardu_Temp1:,Ardu_Temp2:1,Ardu_Press:1', /counts must be an integer/],
    ['spaces', 'Ardu_Temp1: 5,Ardu_Temp2:1,Ardu_Press:1', /counts must be an integer/],
    ['above 10 bits', 'Ardu_Temp1:1024,Ardu_Temp2:1,Ardu_Press:1', /counts 1024 above the 10-bit ADC maximum 1023/],
    ['five digits', 'Ardu_Temp1:10000,Ardu_Temp2:1,Ardu_Press:1', /counts must be an integer/],
    ['a fragment (port opened mid-line)', 'mp2:498,Ardu_Press:102', /item 1 "mp2:498" .*unknown key "mp2"/],
    ['trailing comma', 'Ardu_Temp1:5,Ardu_Temp2:1,Ardu_Press:1,', /item 4 "" at offset 39: expected key:counts/],
  ];
  it.each(malformed)('refuses %s with BB_ARDUINO_LINE_INVALID', (_what, line, message) => {
    let err: unknown;
    try {
      decodeReadingLine(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArduinoError);
    expect((err as ArduinoError).code).toBe('BB_ARDUINO_LINE_INVALID');
    expect((err as ArduinoError).message).toMatch(message);
  });

  it('refuses to encode counts out of range', () => {
    expect(() => encodeReadingLine({ temperature1Counts: 1024, temperature2Counts: 0, pressureCounts: 0 })).toThrow(RangeError);
  });
});
