/**
 * CRC-16/UMTS (a.k.a. BUYPASS, VERIFONE): poly 0x8005, init 0, not reflected, no final XOR,
 * check value 0xFEE8 for "123456789". Covers SOH..ETX of every frame, appended low byte first;
 * the password message carries the same CRC over its characters only.
 *
 * Source: itron-corus README §4.5 (and §3.4 for the password). Not CRC-16/ARC or /MODBUS.
 */

const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/**
 * CRC-16/UMTS of `bytes[start, end)` (README §4.5).
 * @returns the CRC as an integer 0..0xFFFF (on the wire: low byte first).
 */
export function crc16Umts(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}
