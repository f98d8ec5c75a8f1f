import { describe, expect, it } from 'vitest';
import { BinaryStreamDecoder, decodeBinaryResult, decodeDirectOutputBinaryData, encodeDirectOutputBinary } from '../../src/codec/binary.js';
import type { BinaryFrame } from '../../src/codec/binary.js';
import { binaryVectors } from '../vectors/load.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

describe('Codec > binary', () => {
  const rest = binaryVectors[0];
  if (!rest) throw new Error('missing vector');
  it(`${rest.name}: encodes the reference bytes with the correct 0-based Chan (${rest.source})`, () => {
    expect(Buffer.from(encodeDirectOutputBinary(rest.chanIndex0, { mode: 'rest' })).toString('hex')).toBe(rest.hex);
  });
  it('decodes the reference frame at every split point and byte by byte', () => {
    const bytes = hex(rest.hex);
    const splits: Uint8Array[][] = [];
    for (let i = 1; i < bytes.length; i++) splits.push([bytes.subarray(0, i), bytes.subarray(i)]);
    splits.push(Array.from(bytes, (b) => Uint8Array.of(b)));
    for (const chunks of splits) {
      const d = new BinaryStreamDecoder();
      const out: BinaryFrame[] = [];
      for (const c of chunks) d.push(c, (f) => out.push(f));
      expect(out).toHaveLength(1);
      const f = out[0] as BinaryFrame;
      expect([f.fclass, f.fnum, f.chanIndex0, f.len]).toEqual([6, 8, 4, 18]);
      expect(decodeDirectOutputBinaryData(f.data)).toEqual({ current_a: 0, voltage_v: 0, power_w: 65536, resistance_ohm: 0, current_range: 4, ch_mode: 'R' });
    }
  });
  it('coalesced frames and a Result word', () => {
    const reply = hex('0600080004000200' + '0300');
    const d = new BinaryStreamDecoder();
    const out: BinaryFrame[] = [];
    d.push(Buffer.concat([reply, reply]), (f) => out.push(f));
    expect(out.map(decodeBinaryResult)).toEqual([3, 3]);
  });
  it('a frame without a Result word is invalid', () => {
    expect(() => decodeBinaryResult({ fclass: 6, fnum: 8, chanIndex0: 0, len: 0, data: new Uint8Array(0) })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_BINARY_FRAME_INVALID' }));
  });
  it('a Len over the cap is refused and nothing is emitted', () => {
    const d = new BinaryStreamDecoder(16);
    const out: unknown[] = [];
    expect(() => d.push(hex('0600080004002000'), (f) => out.push(f))).toThrow(expect.objectContaining({ code: 'BB_MACCOR_BINARY_FRAME_INVALID' }));
    expect(out).toEqual([]);
  });
});
