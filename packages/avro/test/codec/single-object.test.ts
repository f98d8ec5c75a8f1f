import { describe, expect, it } from 'vitest';
import { decodeSingleObjectHeader, encodeSingleObjectHeader, fingerprintHex } from '../../src/codec/single-object.js';
import { AvroDecodeError } from '../../src/errors.js';

describe('avro > codec > single-object', () => {
  const fp = 0x0123456789abcdefn;
  const header = Buffer.from('c301efcdab8967452301', 'hex'); // marker, then the fingerprint little-endian

  it('writes C3 01 + fingerprint little-endian', () => {
    expect(encodeSingleObjectHeader(fp).toString('hex')).toBe(header.toString('hex'));
    expect(fingerprintHex(fp)).toBe('0123456789abcdef');
  });

  it('reads the header back, from a Buffer and from a Uint8Array view at an offset', () => {
    expect(decodeSingleObjectHeader(header)).toEqual({ fingerprint: fp, bodyOffset: 10 });
    const backing = new Uint8Array(20);
    backing.set(header, 5);
    expect(decodeSingleObjectHeader(backing.subarray(5, 15))).toEqual({ fingerprint: fp, bodyOffset: 10 });
  });

  it('keeps the high bit (an unsigned 64-bit fingerprint)', () => {
    const high = 0xc15d213aa4d7a795n;
    expect(decodeSingleObjectHeader(encodeSingleObjectHeader(high)).fingerprint).toBe(high);
  });

  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(AvroDecodeError);
      return (err as AvroDecodeError).code;
    }
    return undefined;
  };

  it.each([
    ['empty', '', 'BB_AVRO_TRUNCATED'],
    ['marker byte 0 only', 'c3', 'BB_AVRO_TRUNCATED'],
    ['first byte wrong', 'c401efcdab8967452301', 'BB_AVRO_BAD_MAGIC'],
    ['second byte wrong', 'c300efcdab8967452301', 'BB_AVRO_BAD_MAGIC'],
    ['one wrong byte', '00', 'BB_AVRO_BAD_MAGIC'],
    ['Confluent framing (magic 0)', '0000000001', 'BB_AVRO_BAD_MAGIC'],
  ])('%s → %s', (_name, hex, expected) => {
    expect(code(() => decodeSingleObjectHeader(Buffer.from(hex, 'hex')))).toBe(expected);
  });

  it('every cut of the header before byte 10 is BB_AVRO_TRUNCATED', () => {
    for (let n = 0; n < 10; n++) expect(code(() => decodeSingleObjectHeader(header.subarray(0, n)))).toBe('BB_AVRO_TRUNCATED');
  });
});
