import { describe, expect, it } from 'vitest';
import { CRC64_AVRO_EMPTY, crc64Avro } from '../../src/codec/crc64.js';
import { loadSchemaVectors } from './vectors.js';

/** The spec's algorithm done bit by bit, without a table: a second, test-only implementation. */
function crc64Bitwise(bytes: Uint8Array): bigint {
  let fp = 0xc15d213aa4d7a795n;
  for (const b of bytes) {
    fp ^= BigInt(b);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (fp & 1n ? 0xc15d213aa4d7a795n : 0n);
  }
  return fp;
}

describe('avro > codec > crc64', () => {
  const vectors = loadSchemaVectors().filter((v) => v.fingerprint !== undefined);

  it('empty input fingerprints to 0xc15d213aa4d7a795 (Avro spec, "Schema Fingerprints")', () => {
    expect(CRC64_AVRO_EMPTY).toBe(0xc15d213aa4d7a795n);
    expect(crc64Avro(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
  });

  it('found the fingerprint vectors', () => {
    expect(vectors.length).toBe(26); // grep -c "^<<fingerprint" schema-tests.txt
  });

  it.each(vectors.map((v) => [v.id, v.canonical, v.fingerprint] as const))('case %s: CRC-64-AVRO of %s', (_id, canonical, expected) => {
    const fp = crc64Avro(new TextEncoder().encode(canonical));
    expect(BigInt.asIntN(64, fp)).toBe(expected); // the file's signed Java long
    expect(fp).toBe(BigInt.asUintN(64, expected as bigint)); // our unsigned form
    expect(fp >= 0n && fp < 2n ** 64n).toBe(true);
  });

  it('table-driven and bitwise forms agree on arbitrary bytes', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
    for (const n of [1, 2, 7, 8, 9, 255, 300]) expect(crc64Avro(bytes.subarray(0, n))).toBe(crc64Bitwise(bytes.subarray(0, n)));
  });
});
