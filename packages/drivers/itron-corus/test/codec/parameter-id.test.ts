import { describe, expect, it } from 'vitest';
import { decodeParameterId, encodeParameterId } from '../../src/codec/parameter-id.js';
import { hex, toHex, vectors } from '../vectors/load.js';

describe('Codec > parameter id (README §4.6)', () => {
  for (const v of vectors.parameter_id_encoding.vectors) {
    it(`id ${v.id} ↔ ${v.hex}`, () => {
      expect(toHex(encodeParameterId(v.id))).toBe(v.hex);
      expect(decodeParameterId(hex(v.hex), 0)).toEqual({ id: v.id, length: v.hex.length / 2 });
    });
  }
  it.each([-1, 4096, 1.5, 70000])('refuses id %s with BB_CORUS_ID_OUT_OF_RANGE', (id) => {
    expect(() => encodeParameterId(id)).toThrow(expect.objectContaining({ code: 'BB_CORUS_ID_OUT_OF_RANGE' }));
  });
  it('reports a cut-off two-byte id as incomplete', () => {
    expect(decodeParameterId(Uint8Array.of(0xf1), 0)).toBeUndefined();
  });
});
