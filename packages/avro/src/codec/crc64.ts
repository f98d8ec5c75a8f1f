/**
 * CRC-64-AVRO, the 64-bit Rabin fingerprint Avro uses to name schemas.
 *
 * Source: Avro specification 1.11, "Schema Fingerprints" — reference algorithm:
 *
 *   EMPTY = 0xc15d213aa4d7a795
 *   table[i] = i, then 8 times: fp = (fp >>> 1) ^ (EMPTY & -(fp & 1))
 *   fp = EMPTY; for each byte b: fp = (fp >>> 8) ^ table[(fp ^ b) & 0xff]
 *
 * The empty input fingerprints to EMPTY itself. Pure: no I/O. Checked against Apache Avro's
 * `share/test/data/schema-tests.txt` vectors (test/vectors/).
 */

/** CRC-64-AVRO of the empty input, also the polynomial seed: `0xc15d213aa4d7a795`. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

const MASK64 = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (CRC64_AVRO_EMPTY & (-(fp & 1n) & MASK64));
    table.push(fp);
  }
  return table;
})();

/**
 * CRC-64-AVRO (Rabin fingerprint) of `bytes`, as an unsigned 64-bit bigint (0 ≤ fp < 2^64).
 * Apache's test data print it as a signed Java long: `BigInt.asIntN(64, fp)`.
 */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = CRC64_AVRO_EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}
