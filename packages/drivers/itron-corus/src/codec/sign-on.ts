/**
 * Session start-up and shut-down messages (itron-corus README §3).
 *
 * ```
 * wake-up:        00 × n (iflag 200, ≥ 12)           → device 00 00 00                (§3.1)
 * sign-on:        2F 3F [address] 21 0D 0A  "/?!" CR LF → device "/XXXZ<ident>" CR LF (§3.2)
 * option select:  06 V Z Y 0D 0A, Z echoed from the identification (§2.2, §3.3);
 *                 iflag sends 06 30 37 36 0D 0A whatever the device offered
 * serial line:    sign-on at 7E1 (here: 8N1 with the parity in bit 7), then the Z rate at 8N1 (§2.2)
 * password:       device → 4 ASCII chars + CRC-16/UMTS(chars) lo hi; client echoes or answers;
 *                 device → 06                                                           (§3.4)
 * break:          01 42 30 03 21 31                                                     (§3.6)
 * ```
 */
import { CorusError } from '../errors.js';
import { crc16Umts } from './crc.js';

/** The sign-on request `/?!` CR LF without address (README §3.2). */
export const SIGN_ON_REQUEST: Uint8Array = Uint8Array.of(0x2f, 0x3f, 0x21, 0x0d, 0x0a);

/** Wake-up run of `count` zero bytes (default 200 as iflag; README §3.1 says ≥ 12). */
export function encodeWakeup(count = 200): Uint8Array {
  return new Uint8Array(count);
}

/**
 * IEC 62056-21 baud-rate characters Z of mode C and the rates they code (itron-corus README §2.2:
 * '0' = 300 … '6' = 19200 baud). iflag's '7' is not in the table.
 */
export const IEC_BAUD_RATES: Readonly<Record<string, number>> = Object.freeze({ '0': 300, '1': 600, '2': 1200, '3': 2400, '4': 4800, '5': 9600, '6': 19200 });

/**
 * The baud rate, in baud, a Z character codes (README §2.2), or `undefined` for a character outside
 * the IEC 62056-21 mode C table (e.g. iflag's '7').
 */
export function baudRateOfZ(z: string): number | undefined {
  return Object.hasOwn(IEC_BAUD_RATES, z) ? IEC_BAUD_RATES[z] : undefined;
}

/**
 * Sign-on request `/?` [address] `!` CR LF (README §3.2). No address by default (one converter per
 * link); IEC 62056-21 allows up to 32 characters of `0-9 A-Z a-z` and space ([sevc] can send one).
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` for an address of other characters or longer than 32.
 */
export function encodeSignOnRequest(address = ''): Uint8Array {
  if (!/^[0-9A-Za-z ]{0,32}$/.test(address)) {
    throw new CorusError('BB_CORUS_CONFIG_INVALID', `deviceAddress ${JSON.stringify(address)}: IEC 62056-21 allows up to 32 characters of 0-9, A-Z, a-z and space`, { context: { field: 'deviceAddress' } });
  }
  return Uint8Array.from(`/?${address}!\r\n`, (c) => c.charCodeAt(0));
}

/** Option-select characters `06 V Z Y CR LF` (README §3.3), each one ASCII digit. */
export interface OptionSelect {
  /** Protocol control character V: '0' normal protocol procedure (iflag, [sevc]). */
  readonly v: string;
  /** Baud-rate character Z: the one the device offered in its identification (README §2.2). */
  readonly z: string;
  /** Mode control character Y: '6' manufacturer-specific (iflag 1.0, [sevc] optical head); iflag 0.x sent '0'. */
  readonly y: string;
}

/**
 * `06 V Z Y 0D 0A` (README §3.3), e.g. `06 30 35 36 0D 0A` after the identification `/SIM5CORUS`.
 * iflag's bytes `06 30 37 36 0D 0A` are `{ v: '0', z: '7', y: '6' }`.
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` when a character is not one ASCII digit.
 */
export function encodeOptionSelect(o: OptionSelect): Uint8Array {
  const ch = (s: string, field: keyof OptionSelect): number => {
    if (!/^[0-9]$/.test(s)) throw new CorusError('BB_CORUS_CONFIG_INVALID', `optionSelect.${field} must be one ASCII digit, got ${JSON.stringify(s)}`, { context: { field: `optionSelect.${field}` } });
    return s.charCodeAt(0);
  };
  return Uint8Array.of(0x06, ch(o.v, 'v'), ch(o.z, 'z'), ch(o.y, 'y'), 0x0d, 0x0a);
}

/**
 * The Z to send in the option select (README §2.2): `'echo'` takes the identification's Z (what a
 * serial line needs: both sides switch to the rate it codes), a digit is sent as configured (iflag: '7').
 * @throws {CorusError} `BB_CORUS_PROTOCOL` when `'echo'` is asked and the identification has no Z digit
 *   at offset 4 (`/XXXZ…`).
 */
export function selectBaudChar(identification: Identification, configured: string): string {
  if (configured !== 'echo') return configured;
  const z = identification.baudChar;
  if (z === undefined || !/^[0-9]$/.test(z)) {
    throw new CorusError('BB_CORUS_PROTOCOL', `identification ${JSON.stringify(identification.raw)} offers no baud-rate character Z at offset 4 to echo`, { context: { identification: identification.raw } });
  }
  return z;
}

/**
 * Sets bit 7 of each 7-bit character to its even-parity bit: a 7E1 character sent on an 8N1 line is
 * the same 10 bits on the wire (start, 7 data, parity, stop), so a port opened at 8N1 can run the
 * 7E1 sign-on (README §2.2) and change only its speed afterwards.
 * @throws {CorusError} `BB_CORUS_VALUE_OUT_OF_RANGE` for a byte above 0x7F (not a 7-bit character).
 */
export function withEvenParity(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b > 0x7f) throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `byte 0x${b.toString(16)} at offset ${i} is not a 7-bit character`, { context: { offset: i, actual: b } });
    out[i] = b | (ones(b) & 1 ? 0x80 : 0);
  }
  return out;
}

/**
 * Checks and removes the even-parity bit 7 of characters received at 7E1 on an 8N1 port (the
 * inverse of {@link withEvenParity}).
 * @param offset - stream offset of `bytes[0]`, for the error.
 * @throws {CorusError} `BB_CORUS_PARITY` at the first byte whose parity is odd (line noise or a
 *   device at another framing), with its stream offset.
 */
export function stripEvenParity(bytes: Uint8Array, offset = 0): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (ones(b) & 1) throw new CorusError('BB_CORUS_PARITY', `parity error in sign-on byte 0x${b.toString(16).padStart(2, '0')} at stream offset ${offset + i} (7E1 expected)`, { context: { offset: offset + i, actual: b } });
    out[i] = b & 0x7f;
  }
  return out;
}

function ones(b: number): number {
  let n = 0;
  for (let x = b; x !== 0; x >>= 1) n += x & 1;
  return n;
}

/**
 * Password message: the characters (ASCII) + CRC-16/UMTS over them, low byte first (README §3.4 [I]).
 * @throws {CorusError} `BB_CORUS_VALUE_OUT_OF_RANGE` for non-ASCII characters or an empty password.
 */
export function encodePasswordMessage(password: string): Uint8Array {
  if (password.length === 0 || !/^[\x20-\x7e]+$/.test(password)) {
    throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', 'password must be 1+ printable ASCII characters');
  }
  const out = new Uint8Array(password.length + 2);
  for (let i = 0; i < password.length; i++) out[i] = password.charCodeAt(i);
  const crc = crc16Umts(out, 0, password.length);
  out[password.length] = crc & 0xff;
  out[password.length + 1] = crc >> 8;
  return out;
}

/**
 * Checks a received password message (README §3.4) and returns its characters.
 * @throws {CorusError} `BB_CORUS_AUTH_FAILED` when shorter than 3 bytes or the CRC does not match.
 */
export function decodePasswordMessage(msg: Uint8Array): string {
  if (msg.length < 3) throw new CorusError('BB_CORUS_AUTH_FAILED', `password message of ${msg.length} bytes is too short`);
  const n = msg.length - 2;
  const crc = crc16Umts(msg, 0, n);
  const got = (msg[n] as number) | ((msg[n + 1] as number) << 8);
  if (crc !== got) throw new CorusError('BB_CORUS_AUTH_FAILED', `password message CRC 0x${got.toString(16)} does not match 0x${crc.toString(16)}`, { context: { expected: crc, actual: got } });
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(msg[i] as number);
  return s;
}

/** Parsed identification line `/XXXZ<text>` CR LF (README §3.2; IEC 62056-21 form, [I]). */
export interface Identification {
  /** The whole line without CR LF, e.g. `/SIM5CORUS`. */
  readonly raw: string;
  /** Three-letter manufacturer code (`SIM`), if present. */
  readonly manufacturer: string | undefined;
  /** Baud-rate character Z (`5`), if present. */
  readonly baudChar: string | undefined;
  /** Identification text after Z. */
  readonly text: string;
}

/**
 * Parses an identification line (starting with '/', ending with LF).
 * @throws {CorusError} `BB_CORUS_PROTOCOL` when it does not start with '/'.
 */
export function decodeIdentification(line: Uint8Array): Identification {
  let s = '';
  for (const b of line) s += String.fromCharCode(b);
  s = s.replace(/\r?\n$/, '');
  if (!s.startsWith('/')) throw new CorusError('BB_CORUS_PROTOCOL', `identification does not start with '/': ${JSON.stringify(s.slice(0, 20))}`);
  return { raw: s, manufacturer: s.length >= 4 ? s.slice(1, 4) : undefined, baudChar: s.length >= 5 ? s[4] : undefined, text: s.slice(5) };
}
