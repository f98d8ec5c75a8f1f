/**
 * Frame envelopes and the streaming decoder of device → client messages (itron-corus README §4).
 *
 * ```
 * request  (client → device): SOH CMD LEN DATA[LEN] ETX CRC-lo CRC-hi     total LEN + 6   (§4.2)
 * response (device → client): SOH LEN DATA[LEN] ETX CRC-lo CRC-hi         total LEN + 5   (§4.3)
 * break:                      SOH 42 30 ETX 21 31  (no LEN)                               (§3.6)
 * single-byte answers:        ACK 06 | NAK 15                                              (§4.1)
 * CRC-16/UMTS over SOH..ETX, low byte first (§4.5). No escaping: parse by LEN, never scan for ETX (§2.3).
 * ```
 */
import { CorusError } from '../errors.js';
import { crc16Umts } from './crc.js';

/** Start of a frame (README §4.1). */
export const SOH = 0x01;
/** End of the DATA part of a frame (README §4.1). */
export const ETX = 0x03;
/** Acknowledge (README §4.1). */
export const ACK = 0x06;
/** Negative acknowledge (README §4.1). */
export const NAK = 0x15;
/** Largest DATA length a one-byte LEN can carry (README §4.7). */
export const MAX_FRAME_DATA = 255;

/** Commands of the request envelope (README §4.4). */
export const Command = {
  /** Read parameters (§5). */
  READ: 0xbf,
  /** Write parameters (§6). */
  WRITE: 0xff,
  /** Read a database (§9). */
  READ_DATABASE: 0xbe,
} as const;

/** The break frame `01 42 30 03 21 31` that ends a session (README §3.6). */
export const BREAK_FRAME: Uint8Array = Uint8Array.of(0x01, 0x42, 0x30, 0x03, 0x21, 0x31);

function appendCrc(frame: Uint8Array, crcStart: number, crcEnd: number): void {
  const crc = crc16Umts(frame, crcStart, crcEnd);
  frame[crcEnd] = crc & 0xff;
  frame[crcEnd + 1] = crc >> 8;
}

function checkDataLength(data: Uint8Array, max: number): void {
  if (data.length > max) {
    throw new CorusError('BB_CORUS_FRAME_TOO_LONG', `frame DATA of ${data.length} bytes exceeds ${max}`, { context: { length: data.length, max } });
  }
}

/**
 * Request frame `SOH CMD LEN DATA ETX CRC` (README §4.2).
 * @throws {CorusError} `BB_CORUS_FRAME_TOO_LONG` when DATA exceeds 255 bytes.
 */
export function encodeRequestFrame(command: number, data: Uint8Array): Uint8Array {
  checkDataLength(data, MAX_FRAME_DATA);
  const f = new Uint8Array(data.length + 6);
  f[0] = SOH;
  f[1] = command;
  f[2] = data.length;
  f.set(data, 3);
  f[3 + data.length] = ETX;
  appendCrc(f, 0, data.length + 4);
  return f;
}

/**
 * Response frame `SOH LEN DATA ETX CRC` (README §4.3); the simulator's writer.
 * @throws {CorusError} `BB_CORUS_FRAME_TOO_LONG` when DATA exceeds 255 bytes.
 */
export function encodeResponseFrame(data: Uint8Array): Uint8Array {
  checkDataLength(data, MAX_FRAME_DATA);
  const f = new Uint8Array(data.length + 5);
  f[0] = SOH;
  f[1] = data.length;
  f.set(data, 2);
  f[2 + data.length] = ETX;
  appendCrc(f, 0, data.length + 3);
  return f;
}

/**
 * Decodes one complete response frame (README §4.3) and returns its DATA.
 * @throws {CorusError} `BB_CORUS_FRAME_UNEXPECTED_BYTE` (first byte not SOH), `BB_CORUS_FRAME_TRUNCATED`
 *   (fewer than LEN + 5 bytes), `BB_CORUS_FRAME_ETX` (byte after DATA not ETX), `BB_CORUS_FRAME_CRC`,
 *   `BB_CORUS_FRAME_TOO_LONG` (bytes left over after the CRC).
 */
export function decodeResponseFrame(frame: Uint8Array): Uint8Array {
  const d = new DeviceMessageDecoder();
  const msgs = d.push(frame);
  d.end();
  const m = msgs[0];
  if (m === undefined || m.kind !== 'frame') {
    throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', `expected a frame starting with SOH, got 0x${(frame[0] ?? 0).toString(16).padStart(2, '0')}`, { context: { offset: 0 } });
  }
  if (msgs.length > 1) throw new CorusError('BB_CORUS_FRAME_TOO_LONG', `bytes left over after the frame CRC`, { context: { length: frame.length } });
  if (m.crcError !== undefined) throw m.crcError;
  return m.data;
}

/**
 * One message from the device in session state: a frame (with its CRC verdict), ACK or NAK.
 * A bad-CRC frame is delivered (not thrown) because the stream stays in step (LEN is intact) and
 * the client decides: NAK a database frame (§9.4) or fail a read (§11).
 */
export type DeviceMessage =
  | { readonly kind: 'frame'; readonly data: Uint8Array; readonly crcError?: CorusError }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak' };

/**
 * Streaming decoder of device → client messages in session state (README §2.3, §4.3): feed bytes
 * as they arrive in any split, get complete messages. Frames are cut by LEN, never by scanning.
 * A desynchronising fault (unexpected first byte, wrong ETX) throws and the decoder must be
 * discarded with the connection (§11: resync by reconnecting).
 */
export class DeviceMessageDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private consumed = 0;

  /**
   * Adds bytes; returns the messages they complete (possibly none).
   * @throws {CorusError} `BB_CORUS_FRAME_UNEXPECTED_BYTE` or `BB_CORUS_FRAME_ETX`, with the stream
   *   offset of the bad byte in `context.offset`; nothing after the fault is emitted.
   */
  push(chunk: Uint8Array): DeviceMessage[] {
    if (this.buf.length === 0) this.buf = chunk;
    else {
      const n = new Uint8Array(this.buf.length + chunk.length);
      n.set(this.buf);
      n.set(chunk, this.buf.length);
      this.buf = n;
    }
    const out: DeviceMessage[] = [];
    let p = 0;
    const b = this.buf;
    for (;;) {
      const first = b[p];
      if (first === undefined) break;
      if (first === ACK || first === NAK) {
        out.push({ kind: first === ACK ? 'ack' : 'nak' });
        p++;
        continue;
      }
      if (first !== SOH) {
        throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', `expected SOH, ACK or NAK at stream offset ${this.consumed + p}, got 0x${first.toString(16).padStart(2, '0')}`, {
          context: { offset: this.consumed + p, actual: first },
        });
      }
      const len = b[p + 1];
      if (len === undefined || b.length < p + len + 5) break;
      const etx = b[p + 2 + len] as number;
      if (etx !== ETX) {
        throw new CorusError('BB_CORUS_FRAME_ETX', `expected ETX at stream offset ${this.consumed + p + 2 + len}, got 0x${etx.toString(16).padStart(2, '0')}`, {
          context: { offset: this.consumed + p + 2 + len, expected: ETX, actual: etx },
        });
      }
      const computed = crc16Umts(b, p, p + len + 3);
      const received = (b[p + len + 3] as number) | ((b[p + len + 4] as number) << 8);
      const data = b.slice(p + 2, p + 2 + len);
      if (computed !== received) {
        const crcError = new CorusError('BB_CORUS_FRAME_CRC', `frame CRC 0x${received.toString(16).padStart(4, '0')} does not match computed 0x${computed.toString(16).padStart(4, '0')}`, {
          context: { offset: this.consumed + p, expected: computed, actual: received },
        });
        out.push({ kind: 'frame', data, crcError });
      } else out.push({ kind: 'frame', data });
      p += len + 5;
    }
    this.consumed += p;
    this.buf = p === 0 ? b : b.subarray(p);
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buf.length;
  }

  /**
   * Declares the end of the stream.
   * @throws {CorusError} `BB_CORUS_FRAME_TRUNCATED` when a partial frame is pending.
   */
  end(): void {
    if (this.buf.length > 0) {
      const len = this.buf[1];
      throw new CorusError('BB_CORUS_FRAME_TRUNCATED', `stream ended inside a frame: ${this.buf.length} of ${len === undefined ? '?' : len + 5} bytes`, {
        context: { offset: this.consumed, actual: this.buf.length, expected: len === undefined ? undefined : len + 5 },
      });
    }
  }
}
