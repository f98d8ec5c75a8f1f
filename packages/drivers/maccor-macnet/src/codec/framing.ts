/**
 * Framing of JSON objects on the MacNet JSON TCP stream.
 *
 * Wire grammar (Maccor MacNet reference §3; vendor help p.2):
 *
 *   stream  = *( ws object ) ws
 *   object  = "{" ... "}"        ; one JSON object, no length prefix, no required terminator
 *   ws      = *( SP / HTAB / CR / LF )   ; the tester and MaccorSpoofer end replies with CR LF
 *
 * The stream carries no length prefix. A reply may arrive in several TCP segments, and several
 * replies may share one segment, so the decoder scans bytes: outside strings it counts `{` and `}`,
 * inside strings it tracks `\` escapes, and an object ends when the depth returns to 0. UTF-8
 * continuation bytes are all ≥ 0x80, so scanning bytes never mistakes them for `{`, `}`, `"` or `\`.
 * Pure: no I/O, no timers.
 */
import { MaccorError } from '../errors.js';

/** Default cap on one buffered JSON object: 1 MiB (reference §3.3). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/**
 * Incremental decoder of brace-balanced JSON objects from a byte stream.
 *
 * `push(chunk, emit)` calls `emit` once per complete object, in order. After an error the decoder
 * is empty (the client resets the connection) and objects completed *before* the fault in the same
 * chunk have already been emitted.
 *
 * @throws MaccorError `BB_MACCOR_FRAME_GARBAGE` (non-whitespace outside an object; context `offset`
 *   within the stream and `byte`), `BB_MACCOR_FRAME_TOO_LARGE` (an object exceeds `maxFrameBytes`),
 *   `BB_MACCOR_FRAME_INVALID_JSON` (balanced but not JSON).
 */
export class JsonStreamDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  /** Bytes of `buf` already scanned (all belong to the current, unfinished object). */
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Stream offset of `buf[0]`, for error context. */
  private streamOffset = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  /** @param maxFrameBytes - cap on one object, bytes (default {@link DEFAULT_MAX_FRAME_BYTES}). */
  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held for an unfinished object. */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** Drops any partial object (after a reconnect). */
  reset(): void {
    this.buf = new Uint8Array(0);
    this.scanned = 0;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.streamOffset = 0;
  }

  /**
   * Appends `chunk` and emits every object it completes.
   * @param chunk - bytes as received.
   * @param emit - called with each parsed object (a plain JSON object).
   */
  push(chunk: Uint8Array, emit: (message: Record<string, unknown>) => void): void {
    if (this.buf.length === 0) {
      this.buf = chunk.slice();
    } else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    let start = 0; // start of the current object (or of unscanned whitespace) in buf
    let i = this.scanned;
    while (i < this.buf.length) {
      const b = this.buf[i] as number;
      if (this.depth === 0) {
        if (isWhitespace(b)) {
          i++;
          start = i;
          continue;
        }
        if (b !== LBRACE) {
          const offset = this.streamOffset + i;
          this.reset();
          throw new MaccorError('BB_MACCOR_FRAME_GARBAGE', `unexpected byte 0x${b.toString(16).padStart(2, '0')} outside a JSON object at stream offset ${offset}`, {
            context: { offset, byte: b },
          });
        }
        this.depth = 1;
        i++;
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) {
        this.inString = true;
      } else if (b === LBRACE) {
        this.depth++;
      } else if (b === RBRACE) {
        this.depth--;
        if (this.depth === 0) {
          const slice = this.buf.subarray(start, i + 1);
          const offset = this.streamOffset + start;
          let parsed: unknown;
          try {
            parsed = JSON.parse(this.utf8.decode(slice));
          } catch (cause) {
            this.reset();
            throw new MaccorError('BB_MACCOR_FRAME_INVALID_JSON', `invalid JSON object at stream offset ${offset}: ${(cause as Error).message}`, {
              cause,
              context: { offset, length: slice.length },
            });
          }
          i++;
          start = i;
          emit(parsed as Record<string, unknown>);
          continue;
        }
      }
      i++;
      if (i - start > this.maxFrameBytes) {
        const offset = this.streamOffset + start;
        this.reset();
        throw new MaccorError('BB_MACCOR_FRAME_TOO_LARGE', `JSON object at stream offset ${offset} exceeds ${this.maxFrameBytes} bytes`, {
          context: { offset, maxFrameBytes: this.maxFrameBytes },
        });
      }
    }
    // keep only the unfinished object
    this.streamOffset += start;
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
    this.scanned = this.buf.length;
    if (this.depth === 0) {
      this.buf = new Uint8Array(0);
      this.scanned = 0;
    }
  }
}
