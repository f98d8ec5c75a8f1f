/**
 * CTI framing: token, the two length conventions, checksum, and the streaming frame decoder.
 *
 * Wire grammar (Arbin CTI reference README §3.2–§3.4; all numbers little-endian, packed):
 *
 *   frame    = token:u64 (bytes DD DD DD DD DD DD DD 11) length:u32 command:u32 extended:u32 args checksum:u16
 *   length   = request  → byte count after the length field (command … checksum); total = length + 12
 *              feedback → byte count of the whole frame (token … checksum);      total = length
 *   checksum = (sum of every preceding byte of the frame) & 0xFFFF
 *
 * ArbinSpoofer (pycti) sends feedbacks 2 bytes longer than their length field, with the checksum in
 * the 2 surplus bytes (README §3.3): the decoder trusts the length field, reports the checksum
 * mismatch in {@link CtiFrame.checksumOk} and skips the surplus bytes when resynchronising on the next
 * token. No peer is special-cased by name.
 */
import { Buffer } from 'node:buffer';
import { ArbinCtiError } from '../errors.js';

/** The frame token as it appears on the wire: `DD×7, 11` (README §3.2). */
export const CTI_TOKEN: Readonly<Uint8Array> = Uint8Array.of(0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0x11);
/** The token as the u64 little-endian number pycti prints (`0x11DDDDDDDDDDDDDD`, exceeds 2^53). */
export const CTI_TOKEN_VALUE = 0x11ddddddddddddddn;
/** Bytes before the arguments: token 8 + length 4 + command 4 + extended command 4. */
export const CTI_HEADER_BYTES = 20;
/** Bytes of the trailing checksum. */
export const CTI_CHECKSUM_BYTES = 2;
/** Smallest possible frame: header + checksum, no arguments. */
export const CTI_MIN_FRAME_BYTES = CTI_HEADER_BYTES + CTI_CHECKSUM_BYTES;
/**
 * Default upper bound of a frame's total size, 4 MiB, to survive garbage length fields.
 *
 * README §10 suggests "for example 16 MiB"; real CTI frames are far smaller. Every fixed layout is
 * ≤ 2 108 bytes (the file-operation requests, §6.3), the largest documented fixed payload is one
 * file-download chunk of 512 KB (§6.3, not implemented here), and the only open-ended message is the
 * all-channels get-channels-info feedback (§4.2): `26 + Σ (1753 + 8·A + BMS + SMB)` bytes over the
 * channel records, ≈ 1.78 kB per channel without aux data. 4 MiB holds 2 357 such records, or 1 000
 * channels with 265 aux values each. A rig beyond that sets `maxFrameBytes`; a length field above the
 * cap raises `BB_ARBIN_FRAME_TOO_LARGE` and the decoder resynchronises.
 */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * Which length convention a frame follows (README §3.3): requests (client → cycler) count from offset
 * 12; feedbacks (cycler → client) count the whole frame.
 */
export type CtiDirection = 'request' | 'feedback';

/** One complete frame, cut from a byte stream or parsed from a buffer. */
export interface CtiFrame {
  /** Length convention the frame was cut with. */
  readonly direction: CtiDirection;
  /** The length field (dwLen) as sent. */
  readonly length: number;
  /** Command code (dwCmd), e.g. `0xEEBA0003`. */
  readonly commandCode: number;
  /** Extended command code (dwCmd_Extend); always 0 in practice (README §3.2). */
  readonly extendedCode: number;
  /** The argument bytes: offsets 20 … total−2 (a view of {@link bytes}). */
  readonly args: Buffer;
  /** The whole frame, token to checksum. Offsets in message tables index into this buffer. */
  readonly bytes: Buffer;
  /** Checksum field as received. */
  readonly checksum: number;
  /** `sum(bytes[0, total−2)) & 0xFFFF`. */
  readonly computedChecksum: number;
  /** Whether {@link checksum} equals {@link computedChecksum}. */
  readonly checksumOk: boolean;
}

/** Total on-wire size of a frame whose length field is `length` (README §3.3). */
export function frameTotalBytes(direction: CtiDirection, length: number): number {
  return direction === 'request' ? length + 12 : length;
}

/** The 16-bit CTI checksum of `bytes[start, end)`: the byte sum modulo 65536 (README §3.4). */
export function ctiChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i] ?? 0;
  return sum & 0xffff;
}

/**
 * Builds a frame: token, length (per `direction`), command, extended code, `args`, checksum.
 *
 * @param direction - `request` (client → cycler) or `feedback` (cycler → client).
 * @param commandCode - u32 command code.
 * @param args - argument bytes (offset 20 onwards).
 * @param extendedCode - dwCmd_Extend, default 0.
 * @returns the complete frame.
 */
export function encodeFrame(direction: CtiDirection, commandCode: number, args: Uint8Array, extendedCode = 0): Buffer {
  const total = CTI_HEADER_BYTES + args.length + CTI_CHECKSUM_BYTES;
  const out = Buffer.alloc(total);
  out.set(CTI_TOKEN, 0);
  out.writeUInt32LE(direction === 'request' ? total - 12 : total, 8);
  out.writeUInt32LE(commandCode >>> 0, 12);
  out.writeUInt32LE(extendedCode >>> 0, 16);
  out.set(args, CTI_HEADER_BYTES);
  out.writeUInt16LE(ctiChecksum(out, 0, total - 2), total - 2);
  return out;
}

function startsWithToken(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < CTI_TOKEN.length; i++) if (bytes[at + i] !== CTI_TOKEN[i]) return false;
  return true;
}

function frameFrom(direction: CtiDirection, bytes: Buffer): CtiFrame {
  const total = bytes.length;
  const checksum = bytes.readUInt16LE(total - 2);
  const computedChecksum = ctiChecksum(bytes, 0, total - 2);
  return {
    direction,
    length: bytes.readUInt32LE(8),
    commandCode: bytes.readUInt32LE(12),
    extendedCode: bytes.readUInt32LE(16),
    args: bytes.subarray(CTI_HEADER_BYTES, total - 2),
    bytes,
    checksum,
    computedChecksum,
    checksumOk: checksum === computedChecksum,
  };
}

function checkLength(direction: CtiDirection, length: number, maxFrameBytes: number, offset: number): number {
  const total = frameTotalBytes(direction, length);
  if (total > maxFrameBytes) {
    throw new ArbinCtiError('BB_ARBIN_FRAME_TOO_LARGE', `length field ${length} announces a ${total}-byte ${direction} frame, above the maximum of ${maxFrameBytes}`, {
      context: { offset, length, total, maxFrameBytes, direction },
    });
  }
  if (total < CTI_MIN_FRAME_BYTES) {
    throw new ArbinCtiError('BB_ARBIN_FRAME_TOO_SHORT', `length field ${length} announces a ${total}-byte ${direction} frame, below the minimum of ${CTI_MIN_FRAME_BYTES}`, {
      context: { offset, length, total, minimum: CTI_MIN_FRAME_BYTES, direction },
    });
  }
  return total;
}

/**
 * Parses one complete frame held in `bytes` (exactly one frame, no surplus).
 *
 * @throws {ArbinCtiError} `BB_ARBIN_BAD_TOKEN` when the token is wrong; `BB_ARBIN_FRAME_TOO_SHORT` when
 *   `bytes` is shorter than the header or than the length field says; `BB_ARBIN_FRAME_TOO_LARGE` when
 *   the length field exceeds `maxFrameBytes` or `bytes` holds more than the length field says.
 *   A checksum mismatch does not throw: see {@link CtiFrame.checksumOk}.
 */
export function parseFrame(bytes: Uint8Array, direction: CtiDirection, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): CtiFrame {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < CTI_MIN_FRAME_BYTES) {
    throw new ArbinCtiError('BB_ARBIN_FRAME_TOO_SHORT', `a ${buf.length}-byte buffer cannot hold a CTI frame (minimum ${CTI_MIN_FRAME_BYTES})`, { context: { actual: buf.length, expected: CTI_MIN_FRAME_BYTES } });
  }
  if (!startsWithToken(buf, 0)) {
    throw new ArbinCtiError('BB_ARBIN_BAD_TOKEN', 'frame does not start with the token DD DD DD DD DD DD DD 11', { context: { offset: 0 } });
  }
  const total = checkLength(direction, buf.readUInt32LE(8), maxFrameBytes, 8);
  if (buf.length < total) {
    throw new ArbinCtiError('BB_ARBIN_FRAME_TOO_SHORT', `${direction} frame holds ${buf.length} bytes, its length field says ${total}`, { context: { expected: total, actual: buf.length } });
  }
  if (buf.length > total) {
    throw new ArbinCtiError('BB_ARBIN_FRAME_TOO_LARGE', `${direction} frame holds ${buf.length} bytes, its length field says ${total}`, { context: { expected: total, actual: buf.length } });
  }
  return frameFrom(direction, buf);
}

/** Options of {@link CtiFrameDecoder}. */
export interface CtiFrameDecoderOptions {
  /** Length convention of the frames to cut: `feedback` in a client (default), `request` in a server. */
  readonly direction?: CtiDirection;
  /** Largest accepted frame, bytes. Default {@link DEFAULT_MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Streaming frame decoder: push bytes in any split, get complete frames out.
 *
 * It looks for the token, reads the length field, waits for the whole frame and cuts it. Bytes before
 * a token (garbage, or the 2 surplus bytes ArbinSpoofer appends to each feedback, README §3.3) are
 * discarded and counted in {@link skippedBytes}. A length field outside `[22, maxFrameBytes]` makes
 * {@link push} throw; the decoder first drops the offending token's first byte so that the next
 * `push` resynchronises, and frames completed earlier in the same `push` are kept and returned by the
 * next call (call `push(new Uint8Array(0))` to collect them, and do so before pushing more bytes:
 * the bytes left after a bad length field are re-joined with the next non-empty chunk).
 *
 * Work is linear in the bytes pushed: until a length field is known the decoder holds fewer than 12
 * bytes (a partial token or header); once it is known it allocates the frame's `total` bytes once and
 * copies each later byte into it exactly once, so a frame fed in small chunks is never re-copied
 * (the old `Buffer.concat` per push was quadratic: a 16 MiB frame in 1460-byte chunks took ≈70 s).
 * {@link bytesCopied} exposes the count.
 */
export class CtiFrameDecoder {
  /**
   * Bytes not yet assigned to a frame: a partial token or header (< 12 bytes), or, after a bad length
   * field, the rest of that chunk. Always decoder-owned memory (a copy or a view of one).
   */
  private head: Buffer = EMPTY;
  /** The frame being filled once its length field is known, allocated at its full size. */
  private frame: Buffer | undefined;
  /** Bytes of {@link frame} filled so far. */
  private filled = 0;
  private copied = 0;
  private pending: CtiFrame[] = [];
  private skipped = 0;
  private readonly direction: CtiDirection;
  private readonly maxFrameBytes: number;

  /** @param options - direction (default `feedback`) and maximum frame size. */
  constructor(options: CtiFrameDecoderOptions = {}) {
    this.direction = options.direction ?? 'feedback';
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Total bytes discarded while looking for a token since construction or {@link reset}. */
  get skippedBytes(): number {
    return this.skipped;
  }

  /** Bytes held while waiting for the rest of a frame (the trailing unconsumed bytes of the stream). */
  get bufferedBytes(): number {
    return this.head.length + (this.frame === undefined ? 0 : this.filled);
  }

  /**
   * Bytes the decoder has copied into memory it owns since construction or {@link reset}: each pushed
   * byte is copied at most twice (joined to a < 12-byte partial header, then into its frame), so this
   * stays below `2 × bytes pushed + 12 × pushes` whatever the chunking.
   */
  get bytesCopied(): number {
    return this.copied;
  }

  /** Drops buffered bytes and pending frames (e.g. before reading a new connection's bytes). */
  reset(): void {
    this.head = EMPTY;
    this.frame = undefined;
    this.filled = 0;
    this.copied = 0;
    this.pending = [];
    this.skipped = 0;
  }

  /**
   * Adds `chunk` and returns every frame completed so far, in order. `chunk` is not retained: the
   * bytes the decoder keeps are copied.
   *
   * @throws {ArbinCtiError} `BB_ARBIN_FRAME_TOO_LARGE` / `BB_ARBIN_FRAME_TOO_SHORT` on an implausible
   *   length field (context: `offset` in the stream buffer, `length`).
   */
  push(chunk: Uint8Array): CtiFrame[] {
    const out = this.pending;
    this.pending = [];
    let input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.frame !== undefined) {
      const frame = this.frame;
      const n = Math.min(input.length, frame.length - this.filled);
      input.copy(frame, this.filled, 0, n);
      this.copied += n;
      this.filled += n;
      input = input.subarray(n);
      if (this.filled < frame.length) return out;
      this.frame = undefined;
      this.filled = 0;
      out.push(frameFrom(this.direction, frame));
    }
    // `buf` is the stream from the first unconsumed byte; `owned` says whether it is decoder memory.
    let buf: Buffer;
    let owned: boolean;
    if (this.head.length === 0) {
      buf = input;
      owned = false;
    } else if (input.length === 0) {
      buf = this.head;
      owned = true;
    } else {
      buf = Buffer.concat([this.head, input]);
      this.copied += buf.length;
      owned = true;
    }
    this.head = EMPTY;
    for (;;) {
      const start = findToken(buf);
      if (start > 0) {
        this.skipped += start;
        buf = buf.subarray(start);
      }
      if (buf.length < 12 || !startsWithToken(buf, 0)) break;
      let total: number;
      try {
        total = checkLength(this.direction, buf.readUInt32LE(8), this.maxFrameBytes, 8);
      } catch (err) {
        this.skipped += 1;
        this.keep(buf.subarray(1), owned);
        this.pending = out;
        throw err;
      }
      const frame = Buffer.alloc(total);
      const n = Math.min(buf.length, total);
      buf.copy(frame, 0, 0, n);
      this.copied += n;
      buf = buf.subarray(n);
      if (n < total) {
        this.frame = frame;
        this.filled = n;
        break;
      }
      out.push(frameFrom(this.direction, frame));
    }
    this.keep(buf, owned);
    return out;
  }

  /** Stores the unconsumed bytes `rest`, copying them unless they already are decoder memory. */
  private keep(rest: Buffer, owned: boolean): void {
    if (rest.length === 0) {
      this.head = EMPTY;
    } else if (owned) {
      this.head = rest;
    } else {
      this.head = Buffer.from(rest);
      this.copied += rest.length;
    }
  }
}

/**
 * Index of the first token in `b`, or of the earliest position where a token could still begin (a
 * partial token at the end is kept), or `b.length`.
 */
function findToken(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0xdd) continue;
    let match = true;
    for (let j = 1; j < CTI_TOKEN.length && i + j < b.length; j++) {
      if (b[i + j] !== CTI_TOKEN[j]) {
        match = false;
        break;
      }
    }
    if (match) return i;
  }
  return b.length;
}

/**
 * Checks that `frame` carries `commandCode` and is at least `minTotal` bytes long.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND` or `BB_ARBIN_TRUNCATED`.
 */
export function expectFrame(frame: CtiFrame, commandCode: number, minTotal: number, what: string): Buffer {
  if (frame.commandCode !== commandCode) {
    throw new ArbinCtiError('BB_ARBIN_UNEXPECTED_COMMAND', `${what}: expected command 0x${hex32(commandCode)}, got 0x${hex32(frame.commandCode)}`, {
      context: { expected: hex32(commandCode), actual: hex32(frame.commandCode) },
    });
  }
  if (frame.bytes.length < minTotal) {
    throw new ArbinCtiError('BB_ARBIN_TRUNCATED', `${what}: frame holds ${frame.bytes.length} bytes, the layout needs ${minTotal}`, {
      context: { expected: minTotal, actual: frame.bytes.length },
    });
  }
  return frame.bytes;
}

/** Well-known openings of other protocols, to name the peer on a CTI port (first bytes, ASCII or hex). */
const FOREIGN_PROTOCOLS: readonly { readonly prefix: Uint8Array; readonly name: string }[] = [
  { prefix: Buffer.from('HTTP/', 'latin1'), name: 'HTTP' },
  { prefix: Buffer.from('SSH-', 'latin1'), name: 'SSH' },
  { prefix: Uint8Array.of(0x16, 0x03), name: 'TLS' },
  { prefix: Buffer.from('{', 'latin1'), name: 'JSON' },
  { prefix: Buffer.from('<', 'latin1'), name: 'HTML/XML' },
];

/**
 * Describes bytes that cannot start a CTI frame (a frame starts with the token DD…DD 11, README §3.2):
 * their count (`total`, default `bytes.length`: the bytes received so far when `bytes` holds only the
 * first of them), the first `maxHex` bytes in hex, and a guess of the protocol from well-known openings.
 * Pure; for the message of a client that finds another service on the CTI port.
 *
 * @example describeForeignBytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n…')) → 'received 37 bytes that are not an Arbin CTI frame: 48 54 54 50 2F 31 2E 31 … (HTTP?)'
 */
export function describeForeignBytes(bytes: Uint8Array, total = bytes.length, maxHex = 8): string {
  const shown = Array.from(bytes.subarray(0, maxHex), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  const guess = FOREIGN_PROTOCOLS.find((p) => p.prefix.length <= bytes.length && p.prefix.every((b, i) => bytes[i] === b));
  return `received ${total} bytes that are not an Arbin CTI frame: ${shown}${total > maxHex ? ' …' : ''}${guess ? ` (${guess.name}?)` : ''}`;
}

/**
 * Whether `bytes`, the first bytes a connection received, can still be the start of a CTI frame: a
 * prefix of the token or longer bytes that begin with it (README §3.2). A cycler's first feedback
 * starts with the token, so anything else means another service is on the port.
 */
export function canStartFrame(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, CTI_TOKEN.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== CTI_TOKEN[i]) return false;
  return true;
}

/** `n` as 8 upper-case hex digits. */
export function hex32(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
