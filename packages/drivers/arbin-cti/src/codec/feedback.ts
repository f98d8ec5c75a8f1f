/**
 * The standard 128-byte feedback (Arbin CTI reference README §4.3), answer to assign, start, stop,
 * resume, continue, jump, set-MV and MV-advanced.
 *
 *   20 i32       channel index (0-based; [P1.1] says −1 on a successful start/continue, the
 *                captured vector shows the channel: do not correlate on it, README §3.6)
 *   24 u8        result: 0 success, otherwise a command-specific code (README §5)
 *   25 byte[101] reserved
 *   126 u16      checksum
 */
import { Buffer } from 'node:buffer';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';

/** Size of the standard feedback, bytes. */
export const STANDARD_FEEDBACK_BYTES = 128;

/** Fields of a standard feedback. */
export interface StandardFeedback {
  /** Channel index as sent by the cycler (0-based, or −1). */
  readonly channel_index0: number;
  /** Result code (README §5). */
  readonly result: number;
}

/** Encodes a standard feedback with the given feedback command code (simulator side). */
export function encodeStandardFeedback(feedbackCode: number, fb: StandardFeedback): Buffer {
  const args = Buffer.alloc(STANDARD_FEEDBACK_BYTES - 22);
  args.writeInt32LE(fb.channel_index0, 0);
  args.writeUInt8(fb.result, 4);
  return encodeFrame('feedback', feedbackCode, args);
}

/**
 * Decodes a standard feedback that must carry `feedbackCode`.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`; `BB_ARBIN_TRUNCATED` below 128 bytes.
 */
export function decodeStandardFeedback(frame: CtiFrame, feedbackCode: number): StandardFeedback {
  const b = expectFrame(frame, feedbackCode, STANDARD_FEEDBACK_BYTES, 'standard feedback');
  return { channel_index0: b.readInt32LE(20), result: b.readUInt8(24) };
}
