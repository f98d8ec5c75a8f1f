/**
 * Login: request 0xEEAB0001, feedback 0xEEBA0001 (Arbin CTI reference README §4.1).
 *
 *   request  (86 bytes, dwLen 74)
 *     20  char[32]     username, NUL-padded
 *     52  char[32]     password, NUL-padded
 *     84  u16          checksum
 *   feedback (8678 + P bytes, dwLen = total)
 *     20  u32          result: 1 success, 2 failed, 3 already logged in
 *     24  byte[4]      ip_address (raw bytes, byte order undocumented)
 *     28  char[16]     cycler_sn
 *     44  char[256]    note (CRLF text)
 *     300 wchar[1024]  nick_name      2348 wchar[1024] location
 *     4396 wchar[1024] emergency_contact  6444 wchar[1024] other_comments
 *     8492 wchar[64]   email          8620 wchar[16]   call
 *     8652 u32 itac  8656 u32 version  8660 u32 allow_control  8664 u32 num_channels
 *     8668 u32 user_type  8672 u32 picture_length P  8676 byte[P] picture  8676+P u16 checksum
 */
import { Buffer } from 'node:buffer';
import { CTI_COMMANDS } from './commands.js';
import { readByteString, readWideString, writeByteString, writeWideString } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';

/** Credentials sent in the login request (≤ 31 single-byte characters each). */
export interface LoginRequest {
  /** CTI user registered in MITS Pro. */
  readonly username: string;
  /** Its password. Never logged. */
  readonly password: string;
}

/** Size of the login request, bytes (README §4.1). */
export const LOGIN_REQUEST_BYTES = 86;
/** Size of the login feedback without picture, bytes (README §4.1). */
export const LOGIN_FEEDBACK_BYTES = 8678;

/**
 * Encodes a login request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when a credential exceeds 31 characters or is
 *   not latin1 (the value is never echoed).
 */
export function encodeLoginRequest(req: LoginRequest): Buffer {
  const args = Buffer.alloc(64);
  writeByteString(args, 0, 32, req.username, 'username', true);
  writeByteString(args, 32, 32, req.password, 'password', true);
  return encodeFrame('request', CTI_COMMANDS.login.request, args);
}

/**
 * Decodes a login request (used by the simulator).
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`.
 */
export function decodeLoginRequest(frame: CtiFrame): LoginRequest {
  const b = expectFrame(frame, CTI_COMMANDS.login.request, LOGIN_REQUEST_BYTES, 'login request');
  return { username: readByteString(b, 20, 32), password: readByteString(b, 52, 32) };
}

/** Login feedback fields (pycti names; README §4.1). */
export interface LoginFeedback {
  /** 1 success, 2 failed, 3 already logged in. */
  readonly result: number;
  /** The 4 raw bytes of the IP field (byte order undocumented; README §4.1). */
  readonly ip_address: Uint8Array;
  /** Cycler serial number, e.g. "207855". */
  readonly cycler_sn: string;
  /** Customer note (CRLF line breaks). */
  readonly note: string;
  /** Nickname. */
  readonly nick_name: string;
  /** Location. */
  readonly location: string;
  /** Emergency contact. */
  readonly emergency_contact: string;
  /** Comments. */
  readonly other_comments: string;
  /** E-mail. */
  readonly email: string;
  /** Phone number. */
  readonly call: string;
  /** International telephone area code (opaque). */
  readonly itac: number;
  /** CTI/MITS version (1 on the captured MITS8 system; mapping uncertain). */
  readonly version: number;
  /** 1 = this client may control channels, 0 = read-only. */
  readonly allow_control: number;
  /** Number of IV channels on the cycler. */
  readonly num_channels: number;
  /** 0 normal user, 1 super user. */
  readonly user_type: number;
  /** Byte length of the cycler picture that follows. */
  readonly picture_length: number;
}

/** Encodes a login feedback (simulator side); the picture is always empty. */
export function encodeLoginFeedback(fb: LoginFeedback): Buffer {
  const args = Buffer.alloc(LOGIN_FEEDBACK_BYTES - 22);
  const o = (abs: number): number => abs - 20;
  args.writeUInt32LE(fb.result, o(20));
  args.set(fb.ip_address.subarray(0, 4), o(24));
  writeByteString(args, o(28), 16, fb.cycler_sn, 'cycler_sn');
  writeByteString(args, o(44), 256, fb.note, 'note');
  writeWideString(args, o(300), 1024, fb.nick_name, 'nick_name');
  writeWideString(args, o(2348), 1024, fb.location, 'location');
  writeWideString(args, o(4396), 1024, fb.emergency_contact, 'emergency_contact');
  writeWideString(args, o(6444), 1024, fb.other_comments, 'other_comments');
  writeWideString(args, o(8492), 64, fb.email, 'email');
  writeWideString(args, o(8620), 16, fb.call, 'call');
  args.writeUInt32LE(fb.itac, o(8652));
  args.writeUInt32LE(fb.version, o(8656));
  args.writeUInt32LE(fb.allow_control, o(8660));
  args.writeUInt32LE(fb.num_channels, o(8664));
  args.writeUInt32LE(fb.user_type, o(8668));
  args.writeUInt32LE(0, o(8672));
  return encodeFrame('feedback', CTI_COMMANDS.login.feedback, args);
}

/**
 * Decodes a login feedback. The picture bytes are not returned.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`; `BB_ARBIN_TRUNCATED` when the frame is shorter
 *   than 8678 bytes plus the announced picture length.
 */
export function decodeLoginFeedback(frame: CtiFrame): LoginFeedback {
  const b = expectFrame(frame, CTI_COMMANDS.login.feedback, LOGIN_FEEDBACK_BYTES, 'login feedback');
  const picture_length = b.readUInt32LE(8672);
  expectFrame(frame, CTI_COMMANDS.login.feedback, LOGIN_FEEDBACK_BYTES + picture_length, 'login feedback (picture)');
  return {
    result: b.readUInt32LE(20),
    ip_address: Uint8Array.from(b.subarray(24, 28)),
    cycler_sn: readByteString(b, 28, 16),
    note: readByteString(b, 44, 256),
    nick_name: readWideString(b, 300, 1024),
    location: readWideString(b, 2348, 1024),
    emergency_contact: readWideString(b, 4396, 1024),
    other_comments: readWideString(b, 6444, 1024),
    email: readWideString(b, 8492, 64),
    call: readWideString(b, 8620, 16),
    itac: b.readUInt32LE(8652),
    version: b.readUInt32LE(8656),
    allow_control: b.readUInt32LE(8660),
    num_channels: b.readUInt32LE(8664),
    user_type: b.readUInt32LE(8668),
    picture_length,
  };
}
