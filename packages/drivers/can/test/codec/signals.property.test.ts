import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDbc } from '../../src/codec/dbc.js';
import type { DbcMessage, DbcSignal } from '../../src/codec/dbc.js';
import { decodeMessage, encodeMessage, insertRaw } from '../../src/codec/signals.js';
import { dbcText, VECTOR_DBCS } from '../support/vectors.js';

/** Bits covered by the signals present in a decode of `data`. */
function coveredMask(m: DbcMessage, present: readonly string[]): Uint8Array {
  const mask = new Uint8Array(m.length);
  for (const s of m.signals) if (present.includes(s.name)) insertRaw(s, mask, (1n << BigInt(s.length)) - 1n, m.length);
  return mask;
}

describe.each(VECTOR_DBCS)('encode(decode(frame)) round trip on random frames: %s', (file, strict) => {
  const dbc = parseDbc(dbcText(file), { strict });
  // Integer signals only: random float bits may be NaN, whose payload JavaScript does not keep.
  const messages = dbc.messages.filter((m) => m.length > 0 && m.signals.every((s) => s.valueType === 'integer'));
  it(`gives back the frame's signal bits (${messages.length} messages)`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...messages), fc.uint8Array({ minLength: 64, maxLength: 64 }), (m, bytes) => {
        const data = bytes.slice(0, m.length);
        const d = decodeMessage(m, data);
        const again = encodeMessage(m, d.values, { checkRange: false });
        const mask = coveredMask(m, Object.keys(d.values));
        for (let i = 0; i < m.length; i++) expect(again[i], `${m.name} byte ${i}`).toBe((data[i] ?? 0) & (mask[i] ?? 0));
        expect(decodeMessage(m, again).values).toEqual(d.values);
      }),
      { numRuns: 500, seed: 20261203 },
    );
  });
});

/** A random signal layout that fits in 8 bytes. */
const signalArb = fc
  .record({ order: fc.constantFrom<'little_endian' | 'big_endian'>('little_endian', 'big_endian'), length: fc.integer({ min: 1, max: 64 }), signed: fc.boolean(), startByte: fc.integer({ min: 0, max: 7 }), startBitInByte: fc.integer({ min: 0, max: 7 }), factor: fc.constantFrom(1, 0.1, 0.5, 2, 0.001, 0.25), offset: fc.constantFrom(0, -40, 2.2, 1000) })
  .filter((r) => {
    if (r.order === 'little_endian') return r.startByte * 8 + r.startBitInByte + r.length <= 64;
    return r.startByte * 8 + (7 - r.startBitInByte) + r.length <= 64;
  });

describe('random layouts: raw → physical → encode → decode', () => {
  it('gives back the raw value for any layout, sign and scale', () => {
    fc.assert(
      fc.property(signalArb, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (r, rawBits, noise) => {
        const length = r.length > 53 ? 53 : r.length; // physical values are doubles: keep raw values exact
        const signal: DbcSignal = { name: 'S', startBit: r.startByte * 8 + r.startBitInByte, length, byteOrder: r.order, signed: r.signed, valueType: 'integer', factor: r.factor, offset: r.offset, unit: '', receivers: [], isMultiplexer: false, attributes: new Map(), line: 1 };
        if (r.order === 'big_endian' && r.startByte * 8 + (7 - r.startBitInByte) + length > 64) return;
        const m: DbcMessage = { id: 1, extended: false, name: 'M', length: 8, senders: [], signals: [signal], attributes: new Map(), line: 1 };
        const bits = rawBits & ((1n << BigInt(length)) - 1n);
        const raw = r.signed && (bits >> BigInt(length - 1)) & 1n ? Number(bits - (1n << BigInt(length))) : Number(bits);
        const data = new Uint8Array(noise);
        insertRaw(signal, data, bits);
        const phys = decodeMessage(m, data).values.S ?? Number.NaN;
        expect(Math.abs((phys - r.offset) / r.factor - raw)).toBeLessThan(Math.max(1e-6, Math.abs(raw) * 1e-12));
        if (Math.abs(raw) < 2 ** 40) {
          const enc = encodeMessage(m, { S: phys }, { checkRange: false });
          expect(decodeMessage(m, enc).values.S).toBe(phys);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
