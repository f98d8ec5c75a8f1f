import { describe, expect, it } from 'vitest';
import { CLASS_LENGTH, decodeValue, encodeValue, formatCorusDateTime, isCorusDateTime, parseCorusDateTime, type CorusClass, type CorusValue } from '../../src/codec/data-classes.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { hex, toHex, vectors } from '../vectors/load.js';

function show(v: CorusValue): unknown {
  if (v === null) return null;
  if (v instanceof ExactDecimal) return v.toString();
  if (isCorusDateTime(v)) return formatCorusDateTime(v);
  return v;
}

describe('Codec > data classes (README §8)', () => {
  for (const [cls, spec] of Object.entries(vectors.data_classes) as [CorusClass, { length: number; decode: { hex: string; expected?: unknown; expected_error?: string }[] }][]) {
    describe(cls, () => {
      it(`has length ${spec.length}`, () => expect(CLASS_LENGTH[cls]).toBe(spec.length));
      for (const v of spec.decode) {
        if (v.expected_error !== undefined) {
          it(`rejects ${v.hex} (${v.expected_error})`, () => {
            expect(() => decodeValue(cls, hex(v.hex))).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_INVALID' }));
          });
        } else {
          it(`decodes ${v.hex} → ${JSON.stringify(v.expected)}`, () => {
            const expected = typeof v.expected === 'number' ? String(v.expected) : v.expected;
            expect(show(decodeValue(cls, hex(v.hex)))).toBe(expected);
          });
        }
      }
    });
  }

  describe('Float specials are rejected with BB_CORUS_VALUE_INVALID (README §8.3.6)', () => {
    for (const v of vectors.data_classes.Float.special.filter((s: { hex: string }) => s.hex !== 'ffff7f7f')) {
      it(v.hex, () => expect(() => decodeValue('Float', hex(v.hex))).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_INVALID' })));
    }
    it('largest binary32 ffff7f7f decodes exactly', () => {
      expect(show(decodeValue('Float', hex('ffff7f7f')))).toBe('340282346638528859811704183484516925440');
    });
  });

  describe('encode vectors', () => {
    for (const [cls, spec] of Object.entries(vectors.data_classes) as [CorusClass, { encode?: { value: unknown; hex: string }[] }][]) {
      if (cls === 'Float1') continue; // iflag defect vector, asserted below
      for (const v of spec.encode ?? []) {
        it(`${cls} ${JSON.stringify(v.value)} → ${v.hex}`, () => {
          const value = cls === 'Date' ? parseCorusDateTime(v.value as string) : (v.value as string | number);
          expect(toHex(encodeValue(cls, value))).toBe(v.hex);
        });
      }
    }
    it('Float1 −16 is scaled ×100 (not iflag\'s defective f0ff, README §12 item 2)', () => {
      const iflagBytes = vectors.data_classes.Float1.encode[0].hex;
      expect(iflagBytes).toBe('f0ff');
      expect(toHex(encodeValue('Float1', '-16'))).toBe('c0f9');
      expect(show(decodeValue('Float1', hex('c0f9')))).toBe('-16');
    });
  });

  describe('round trips of every decode vector through encode', () => {
    for (const [cls, spec] of Object.entries(vectors.data_classes) as [CorusClass, { decode: { hex: string; expected?: unknown }[] }][]) {
      if (cls === 'Null2' || cls === 'Null4' || cls === 'Float') continue;
      for (const v of spec.decode) {
        if (v.expected === undefined || v.expected === null) continue;
        if (cls === 'Index' && v.hex === '01000000ffffffff') continue; // fraction ≥ 10^8 is not canonical
        it(`${cls} ${v.hex}`, () => {
          const value = decodeValue(cls, hex(v.hex));
          const again = decodeValue(cls, encodeValue(cls, value));
          expect(show(again)).toBe(show(value));
        });
      }
    }
  });

  describe('encode refusals', () => {
    it.each<[CorusClass, string, string]>([
      ['Byte', '255', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Byte', '1.5', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Word', '-1', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float1', '-0.01', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float1', '1.234', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float1', '327.68', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float2', '327.67', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float2', '1.2345', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float3', '1638300', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Float3', '0.05', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Index', '1.000000001', 'BB_CORUS_VALUE_OUT_OF_RANGE'],
      ['Byte', 'x', 'BB_CORUS_VALUE_TYPE'],
    ])('%s %s → %s', (cls, value, code) => {
      expect(() => encodeValue(cls, value)).toThrow(expect.objectContaining({ code }));
    });
    it('Date refuses year 2064 and text', () => {
      expect(() => encodeValue('Date', { year: 2064, month: 1, day: 1, hour: 0, minute: 0, second: 0 })).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE' }));
      expect(() => encodeValue('Date', '2020-01-01')).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_TYPE' }));
    });
    it('Float2 picks the exponent from the value, not its notation (unlike iflag, README §12 item 3)', () => {
      expect(toHex(encodeValue('Float2', '5.0'))).toBe('8813');
      expect(toHex(encodeValue('Float2', '100.5'))).toBe('42a7');
    });
    it('null encodes as all-FF in every class', () => {
      for (const cls of Object.keys(CLASS_LENGTH) as CorusClass[]) expect(encodeValue(cls, null).every((b) => b === 0xff)).toBe(true);
    });
    it('decode of a truncated value throws BB_CORUS_FRAME_TRUNCATED', () => {
      expect(() => decodeValue('Index', hex('01020304'))).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_TRUNCATED' }));
    });
    it('Float3 with the iflag 0.x exponent offset −2 is 10× smaller (README §8.3.9)', () => {
      expect(show(decodeValue('Float3', hex('d204'), 0, { float3ExponentOffset: -2 }))).toBe('12.34');
    });
  });
});
