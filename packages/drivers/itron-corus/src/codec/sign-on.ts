/**
 * Session start-up and shut-down messages (itron-corus README §3).
 *
 * ```
 * wake-up:        00 × n (iflag 200, ≥ 12)           → device 00 00 00                (§3.1)
 * sign-on:        2F 3F 21 0D 0A  "/?!" CR LF        → device "/XXXZ<ident>" CR LF    (§3.2)
 * option select:  06 V Z Y 0D 0A  (06 30 37 36 0D 0A)                                  (§3.3)
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

/** Option-select characters (README §3.3); defaults V '0', Z '7', Y '6'. */
export interface OptionSelect {
  /** Protocol control character, default '0'. */
  readonly v?: string;
  /** Baud-rate character, default '7' (iflag); on serial echo the identification's Z (§2.2). */
  readonly z?: string;
  /** Mode character, default '6' (manufacturer-specific). */
  readonly y?: string;
}

/** `06 V Z Y 0D 0A` (README §3.3). */
export function encodeOptionSelect(o: OptionSelect = {}): Uint8Array {
  const ch = (s: string | undefined, d: string): number => (s ?? d).charCodeAt(0) & 0x7f;
  return Uint8Array.of(0x06, ch(o.v, '0'), ch(o.z, '7'), ch(o.y, '6'), 0x0d, 0x0a);
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
