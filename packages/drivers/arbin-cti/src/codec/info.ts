/**
 * Get serial number (0xBB340001 → 0xBB430001) and send message to the Console (0xCD140002 →
 * 0xCD410002), Arbin CTI reference README §6.1, §6.4, §5.8 ([I4.5] CTI_REQUEST_SEND_MSG_TO_CTI).
 *
 *   get-serial request  (128 bytes, dwLen 116): 20 u32 unused   24 u8 unused   25 byte[101]
 *   get-serial feedback (128 bytes):             20 u32 serial   24 u8 result (0 ok, 0x10 error)   25 byte[101]
 *   console request  (2070 bytes, dwLen 2058):   20 wchar[1024] message (RTF, "[DateTime]<-->[RichText]")
 *   console feedback (26 bytes):                 20 u32 result (1 success, 2 failed)
 *
 * The DLL exposes the serial as a double; the structs give a u32 (README §6.1, uncertain). We read u32.
 */
import { Buffer } from 'node:buffer';
import { CTI_COMMANDS } from './commands.js';
import { readWideString, writeWideString } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';

/** Encodes a get-serial-number request (no arguments besides zeros). */
export function encodeGetSerialNumberRequest(): Buffer {
  return encodeFrame('request', CTI_COMMANDS.getSerialNumber.request, Buffer.alloc(128 - 22));
}

/** Decodes a get-serial-number request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeGetSerialNumberRequest(frame: CtiFrame): Record<string, never> {
  expectFrame(frame, CTI_COMMANDS.getSerialNumber.request, 128, 'get-serial request');
  return {};
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

/** Units of the console message field (wchar[1024]). */
export const CONSOLE_MESSAGE_UNITS = 1024;

/**
 * Encodes a send-message-to-console request. `message` is the text as the vendor expects it (RTF,
 * "[DateTime]<-->[RichText]"); it is sent as given.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` above 1023 UTF-16 code units.
 */
export function encodeConsoleMessageRequest(message: string): Buffer {
  const args = Buffer.alloc(2 * CONSOLE_MESSAGE_UNITS);
  writeWideString(args, 0, CONSOLE_MESSAGE_UNITS, message, 'message');
  return encodeFrame('request', CTI_COMMANDS.sendConsoleMessage.request, args);
}

/** Decodes a send-message-to-console request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeConsoleMessageRequest(frame: CtiFrame): { readonly message: string } {
  const b = expectFrame(frame, CTI_COMMANDS.sendConsoleMessage.request, 22 + 2 * CONSOLE_MESSAGE_UNITS, 'console message request');
  return { message: readWideString(b, 20, CONSOLE_MESSAGE_UNITS) };
}

/** Encodes a console-message feedback (simulator side). */
export function encodeConsoleMessageFeedback(result: number): Buffer {
  const args = Buffer.alloc(4);
  args.writeUInt32LE(result, 0);
  return encodeFrame('feedback', CTI_COMMANDS.sendConsoleMessage.feedback, args);
}

/** Decodes a console-message feedback: `result` 1 success, 2 failed. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeConsoleMessageFeedback(frame: CtiFrame): { readonly result: number } {
  const b = expectFrame(frame, CTI_COMMANDS.sendConsoleMessage.feedback, 26, 'console message feedback');
  return { result: b.readUInt32LE(20) };
}
