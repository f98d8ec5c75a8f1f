import { describe, expect, it } from 'vitest';
import { crc16Umts } from '../../src/codec/crc.js';
import { crcOracle, hex, toHex, vectors } from '../vectors/load.js';

describe('Codec > CRC-16/UMTS (README §4.5)', () => {
  for (const v of vectors.crc16.vectors) {
    it(`${v.note}`, () => {
      const b = hex(v.hex);
      expect(crc16Umts(b)).toBe(Number(v.crc_value));
      const c = crc16Umts(b);
      expect(toHex(Uint8Array.of(c & 0xff, c >> 8))).toBe(v.crc_bytes_on_wire);
    });
  }
  it('agrees with the bitwise oracle on pseudo-random inputs', () => {
    let seed = 7;
    for (let n = 0; n < 200; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(crc16Umts(b)).toBe(crcOracle(b));
    }
  });
  it('is not CRC-16/ARC or MODBUS (check value differs)', () => {
    expect(crc16Umts(new TextEncoder().encode('123456789'))).not.toBe(0xbb3d);
  });
});
