import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../src/codec/line-framer.js';
import type { FramedLine } from '../../src/codec/line-framer.js';
import { ArduinoError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const texts = (rs: FramedLine[]): string[] => rs.map((r) => (r.kind === 'line' ? r.text : `!${r.error.code}`));

const STREAM = 'Ardu_Temp1:512,Ardu_Temp2:498,Ardu_Press:102\r\nArdu_Temp1:1,Ardu_Temp2:2,Ardu_Press:3\r\n';
const EXPECTED = ['Ardu_Temp1:512,Ardu_Temp2:498,Ardu_Press:102', 'Ardu_Temp1:1,Ardu_Temp2:2,Ardu_Press:3'];

describe('LineFramer', () => {
  it('frames a single chunk', () => {
    expect(texts(new LineFramer().push(enc(STREAM)))).toEqual(EXPECTED);
  });

  it('frames the stream split at every point', () => {
    const bytes = enc(STREAM);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const f = new LineFramer();
      const out = [...f.push(bytes.subarray(0, cut)), ...f.push(bytes.subarray(cut))];
      expect(texts(out), `cut at ${cut}`).toEqual(EXPECTED);
      expect(f.pending).toBe(0);
    }
  });

  it('frames the stream byte by byte', () => {
    const f = new LineFramer();
    const out: FramedLine[] = [];
    for (const b of enc(STREAM)) out.push(...f.push(Uint8Array.of(b)));
    expect(texts(out)).toEqual(EXPECTED);
  });

  it('accepts a bare LF and skips empty lines', () => {
    expect(texts(new LineFramer().push(enc('\r\n\nA:1\n\r\n')))).toEqual(['A:1']);
  });

  it('holds an unterminated line until its LF', () => {
    const f = new LineFramer();
    expect(f.push(enc('Ardu_Temp1:5'))).toEqual([]);
    expect(f.pending).toBe(12);
    expect(texts(f.push(enc('\r\n')))).toEqual(['Ardu_Temp1:5']);
  });

  const malformed: [string, string, string, RegExp][] = [
    ['a control byte', 'Ardu\x07Temp1:1\r\n', 'BB_ARDUINO_LINE_INVALID', /byte 0x07 at offset 4/],
    ['a byte >= 0x80 (baud mismatch)', 'Ardu_T\xe9mp1:1\r\n', 'BB_ARDUINO_LINE_INVALID', /byte 0xe9 at offset 6/],
    ['a CR inside the line', 'Ardu\rTemp1:1\r\n', 'BB_ARDUINO_LINE_INVALID', /byte 0x0d at offset 4/],
  ];
  it.each(malformed)('drops a line with %s and emits no line', (_what, wire, code, message) => {
    const out = new LineFramer().push(enc(wire));
    expect(out).toHaveLength(1);
    const r = out[0]!;
    expect(r.kind).toBe('error');
    if (r.kind !== 'error') return;
    expect(r.error).toBeInstanceOf(ArduinoError);
    expect(r.error.code).toBe(code);
    expect(r.error.message).toMatch(message);
  });

  it('drops an over-long line once, up to the next LF, and recovers', () => {
    const f = new LineFramer({ maxLineBytes: 10 });
    const out = [...f.push(enc('x'.repeat(25))), ...f.push(enc('yyy\r\nok:1\r\n'))];
    expect(texts(out)).toEqual(['!BB_ARDUINO_LINE_TOO_LONG', 'ok:1']);
  });

  it('accepts a line of exactly maxLineBytes with its CR, at every split', () => {
    const wire = enc(`${'z'.repeat(10)}\r\n`);
    for (let cut = 0; cut <= wire.length; cut++) {
      const f = new LineFramer({ maxLineBytes: 10 });
      expect(texts([...f.push(wire.subarray(0, cut)), ...f.push(wire.subarray(cut))])).toEqual(['z'.repeat(10)]);
    }
    expect(texts(new LineFramer({ maxLineBytes: 10 }).push(enc(`${'z'.repeat(11)}\r\n`)))).toEqual(['!BB_ARDUINO_LINE_TOO_LONG']);
  });

  it('refuses a bad limit', () => {
    expect(() => new LineFramer({ maxLineBytes: 0 })).toThrow(RangeError);
  });
});
