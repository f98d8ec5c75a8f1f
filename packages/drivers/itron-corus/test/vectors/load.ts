/** Loads the copied vectors (test/vectors/README.md) and small test-only helpers. */
import { readFileSync } from 'node:fs';

/** The parsed vectors.json. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const vectors: any = JSON.parse(readFileSync(new URL('./itron-corus-vectors.json', import.meta.url), 'utf8'));

/** Hex (lower-case, no separators) → bytes. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Bytes → lower-case hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/**
 * Test-only CRC oracle: the bitwise MSB-first algorithm written out in README §4.5, independent of
 * the table-driven production code.
 */
export function crcOracle(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Test-only frame builder (never the production writer as its own oracle). */
export function buildResponse(data: Uint8Array): Uint8Array {
  const body = Uint8Array.from([0x01, data.length, ...data, 0x03]);
  const c = crcOracle(body);
  return Uint8Array.from([...body, c & 0xff, c >> 8]);
}
