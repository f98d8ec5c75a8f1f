/**
 * Send a message to the Console: request 0xCD140002, feedback 0xCD410002 (Arbin CTI reference README
 * §6.4, §5.8; [I4.5] CTI_REQUEST_SEND_MSG_TO_CTI).
 *
 *   request  (2070 bytes, dwLen 2058): 20 wchar[1024] message (RTF, "[DateTime]<-->[RichText]")
 *   feedback (26 bytes):               20 u32 result (1 success, 2 failed)
 */
import { Buffer } from 'node:buffer';
import { CTI_COMMANDS } from './commands.js';
import { readWideString, writeWideString } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';

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
