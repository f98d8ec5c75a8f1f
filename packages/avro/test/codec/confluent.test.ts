import { describe, expect, it } from 'vitest';
import { AvroDecodeError } from '../../src/errors.js';
import { decodeConfluentHeader, detectFraming, encodeConfluentHeader } from '../../src/codec/confluent.js';

// Vectors from the Confluent wire format (Confluent Schema Registry documentation, "Wire format"):
// byte 0 magic 0x00, bytes 1-4 schema id big-endian, then the Avro body.
const vectors: [id: number, hex: string][] = [
  [1, '00' + '00000001'],
  [0x01020304, '00' + '01020304'],
  [2_147_483_647, '00' + '7fffffff'],
  [0, '00' + '00000000'],
];

describe('avro > codec > confluent header', () => {
  it.each(vectors)('id %i ↔ %s', (id, hex) => {
    expect(encodeConfluentHeader(id).toString('hex')).toBe(hex);
    const withBody = Buffer.concat([Buffer.from(hex, 'hex'), Buffer.from([0x02, 0x04])]);
    expect(decodeConfluentHeader(withBody)).toEqual({ schemaId: id, bodyOffset: 5 });
  });

  it('reads the header from a view into a larger buffer (byteOffset honoured)', () => {
    const big = Buffer.from('ffff' + '00' + '00000001' + 'aa', 'hex');
    expect(decodeConfluentHeader(big.subarray(2))).toEqual({ schemaId: 1, bodyOffset: 5 });
  });

  it.each([
    ['c301', 'BB_AVRO_BAD_MAGIC'],
    ['01000000', 'BB_AVRO_BAD_MAGIC'],
    ['', 'BB_AVRO_TRUNCATED'],
    ['00', 'BB_AVRO_TRUNCATED'],
    ['00000000', 'BB_AVRO_TRUNCATED'],
    ['00ffffffff', 'BB_AVRO_INVALID_BODY'],
  ])('refuses %s with %s', (hex, code) => {
    let err: unknown;
    try {
      decodeConfluentHeader(Buffer.from(hex, 'hex'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AvroDecodeError);
    expect((err as AvroDecodeError).code).toBe(code);
  });

  it('refuses ids outside 0..2^31-1 on encode', () => {
    expect(() => encodeConfluentHeader(-1)).toThrow(RangeError);
    expect(() => encodeConfluentHeader(2 ** 31)).toThrow(RangeError);
    expect(() => encodeConfluentHeader(1.5)).toThrow(RangeError);
  });
});

describe('avro > codec > detectFraming', () => {
  it.each([
    ['c301' + '00'.repeat(8), 'single-object'],
    ['c301', 'single-object'],
    ['0000000001', 'confluent'],
    ['00', 'confluent'],
    ['c3', undefined],
    ['c302', undefined],
    ['7b226e223a317d', undefined], // JSON text
    ['', undefined],
  ])('%s → %s', (hex, framing) => {
    expect(detectFraming(Buffer.from(hex, 'hex'))).toBe(framing);
  });
});
