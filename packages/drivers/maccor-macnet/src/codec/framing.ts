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

/**
 * Default cap on the nesting of `{` and `[` inside one object: 32. Real replies nest at most 4 deep
 * (the envelope, `result`, and arrays of per-channel objects: the reference §6 replies and
 * test/vectors/messages.json); a deeper object is hostile or corrupt. Node's `JSON.parse` does not
 * overflow on deep input (it parsed 1 000 000 levels on Node 24), but everything downstream that
 * recurses (`JSON.stringify` in messages and loggers) throws a plain `RangeError` from ≈ 5 000 levels,
 * so the framing refuses such objects up front with a typed error.
 */
export const DEFAULT_MAX_JSON_DEPTH = 32;

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
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
 * Work is linear in the bytes pushed: each chunk is scanned once, the pieces of an unfinished object
 * are kept in a list (each copied once, so the caller may reuse its chunk), and they are joined once
 * when the object closes. (Joining the whole buffer on every push, as before, was quadratic: a 1 MiB
 * object in 1460-byte segments copied ≈ 376 MB.) {@link bytesCopied} exposes the count.
 *
 * @throws MaccorError `BB_MACCOR_FRAME_GARBAGE` (non-whitespace outside an object; context `offset`
 *   within the stream and `byte`), `BB_MACCOR_FRAME_TOO_LARGE` (an object exceeds `maxFrameBytes`),
 *   `BB_MACCOR_FRAME_TOO_DEEP` (`{`/`[` nesting inside an object exceeds `maxDepth`; context `offset`
 *   of the object and `maxDepth`), `BB_MACCOR_FRAME_INVALID_JSON` (balanced but not JSON).
 */
export class JsonStreamDecoder {
  /** Copied pieces of the unfinished object, in stream order. */
  private parts: Uint8Array[] = [];
  /** Total bytes in {@link parts}. */
  private partsBytes = 0;
  private depth = 0;
  /** `{` and `[` nesting of the current object (brackets are counted for the limit only). */
  private nesting = 0;
  private inString = false;
  private escape = false;
  /** Stream offset of the first byte of the next chunk. */
  private streamOffset = 0;
  /** Stream offset of the current object's `{`. */
  private objectOffset = 0;
  private copied = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  /**
   * @param maxFrameBytes - cap on one object, bytes (default {@link DEFAULT_MAX_FRAME_BYTES}).
   * @param maxDepth - cap on `{`/`[` nesting inside one object (default {@link DEFAULT_MAX_JSON_DEPTH}).
   */
  constructor(
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    private readonly maxDepth = DEFAULT_MAX_JSON_DEPTH,
  ) {}

  /** Bytes held for an unfinished object. */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  /**
   * Bytes copied into decoder memory since construction or {@link reset}: each byte of an object split
   * across chunks is copied at most twice (kept, then joined), so this stays below 2 × bytes pushed.
   */
  get bytesCopied(): number {
    return this.copied;
  }

  /** Drops any partial object (after a reconnect). */
  reset(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.depth = 0;
    this.nesting = 0;
    this.inString = false;
    this.escape = false;
    this.streamOffset = 0;
    this.objectOffset = 0;
    this.copied = 0;
  }

  /**
   * Scans `chunk` and emits every object it completes. `chunk` is not retained.
   * @param chunk - bytes as received.
   * @param emit - called with each parsed object (a plain JSON object).
   */
  push(chunk: Uint8Array, emit: (message: Record<string, unknown>) => void): void {
    let start = 0; // start of the current object's bytes in this chunk (or of unscanned whitespace)
    let i = 0;
    while (i < chunk.length) {
      const b = chunk[i] as number;
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
        this.nesting = 1;
        this.objectOffset = this.streamOffset + i;
        i++;
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) {
        this.inString = true;
      } else if (b === LBRACE || b === LBRACKET) {
        if (b === LBRACE) this.depth++;
        if (++this.nesting > this.maxDepth) {
          const offset = this.objectOffset;
          this.reset();
          throw new MaccorError('BB_MACCOR_FRAME_TOO_DEEP', `JSON object at stream offset ${offset} nests deeper than ${this.maxDepth} levels`, {
            context: { offset, maxDepth: this.maxDepth },
          });
        }
      } else if (b === RBRACKET) {
        this.nesting--;
      } else if (b === RBRACE) {
        this.nesting--;
        this.depth--;
        if (this.depth === 0) {
          const slice = this.take(chunk.subarray(start, i + 1));
          const offset = this.objectOffset;
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
      if (this.partsBytes + i - start > this.maxFrameBytes) {
        const offset = this.objectOffset;
        this.reset();
        throw new MaccorError('BB_MACCOR_FRAME_TOO_LARGE', `JSON object at stream offset ${offset} exceeds ${this.maxFrameBytes} bytes`, {
          context: { offset, maxFrameBytes: this.maxFrameBytes },
        });
      }
    }
    // keep (a copy of) the unfinished object's bytes from this chunk
    if (this.depth > 0 && start < chunk.length) {
      this.parts.push(chunk.slice(start));
      this.partsBytes += chunk.length - start;
      this.copied += chunk.length - start;
    }
    this.streamOffset += chunk.length;
  }

  /** The whole current object: the kept parts followed by `last`, joined once; clears the parts. */
  private take(last: Uint8Array): Uint8Array {
    if (this.parts.length === 0) return last;
    const joined = new Uint8Array(this.partsBytes + last.length);
    let at = 0;
    for (const p of this.parts) {
      joined.set(p, at);
      at += p.length;
    }
    joined.set(last, at);
    this.copied += joined.length;
    this.parts = [];
    this.partsBytes = 0;
    return joined;
  }
}
