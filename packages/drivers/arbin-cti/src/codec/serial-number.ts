/**
 * Get serial number: request 0xBB340001, feedback 0xBB430001 (Arbin CTI reference README §6.1, §5.8).
 *
 *   request  (128 bytes, dwLen 116): 20 u32 unused   24 u8 unused   25 byte[101]
 *   feedback (128 bytes):            20 u32 serial   24 u8 result (0 ok, 0x10 error)   25 byte[101]
 *
 * The DLL exposes the serial as a double; the structs give a u32 (README §6.1, uncertain). We read u32.
 */
import { Buffer } from 'node:buffer';
import { CTI_COMMANDS } from './commands.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';

/** Encodes a get-serial-number request (no arguments besides zeros). */
export function encodeGetSerialNumberRequest(): Buffer {
  return encodeFrame('request', CTI_COMMANDS.getSerialNumber.request, Buffer.alloc(128 - 22));
}

/** Get-serial-number feedback. */
export interface SerialNumberFeedback {
  /** Serial number (u32 per the structs). */
  readonly serial_number: number;
  /** 0 success, 0x10 error. */
  readonly result: number;
}

/** Encodes a get-serial-number feedback (simulator side). */
export function encodeSerialNumberFeedback(fb: SerialNumberFeedback): Buffer {
  const args = Buffer.alloc(128 - 22);
  args.writeUInt32LE(fb.serial_number >>> 0, 0);
  args.writeUInt8(fb.result, 4);
  return encodeFrame('feedback', CTI_COMMANDS.getSerialNumber.feedback, args);
}

/** Decodes a get-serial-number feedback. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeSerialNumberFeedback(frame: CtiFrame): SerialNumberFeedback {
  const b = expectFrame(frame, CTI_COMMANDS.getSerialNumber.feedback, 128, 'get-serial feedback');
  return { serial_number: b.readUInt32LE(20), result: b.readUInt8(24) };
}

