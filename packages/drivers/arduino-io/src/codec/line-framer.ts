/**
 * Line framing of the sketch's serial output.
 *
 * Wire grammar (safety-rig reference §5, "Arduino → Pi"): ASCII text lines terminated by CR LF, one
 * about every second, at 9600 baud 8N1. A serial line delivers them in arbitrary pieces, so the framer
 * takes chunks and returns whole lines:
 *
 *   line     = *text-byte [CR] LF         text-byte = 0x20..0x7E (printable ASCII)
 *
 * - The CR before LF is optional (a bare LF also ends a line); empty lines are skipped.
 * - A line with any other byte (a control byte, a byte ≥ 0x80: line noise, a baud-rate mismatch) is
 *   dropped with `BB_ARDUINO_LINE_INVALID` naming the offset and byte.
 * - A line longer than `maxLineBytes` is dropped with `BB_ARDUINO_LINE_TOO_LONG`, reported once, and
 *   the framer discards bytes up to the next LF.
 *
 * Pure: no I/O, no timers.
 */
import { lineError } from '../errors.js';
import type { ArduinoError } from '../errors.js';

/** Default longest line, bytes (a reading line is at most 51 bytes: 3 keys, 3 × 4 digits, 2 commas). */
export const DEFAULT_MAX_LINE_BYTES = 128;

/** One result of {@link LineFramer.push}: a whole line (without CR LF), or the error that dropped one. */
export type FramedLine = { readonly kind: 'line'; readonly text: string } | { readonly kind: 'error'; readonly error: ArduinoError };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines. Feed every chunk in arrival order to {@link push}.
 *
 * @example
 * const framer = new LineFramer();
 * for (const r of framer.push(chunk)) if (r.kind === 'line') handle(r.text);
 */
export class LineFramer {
  private readonly maxLineBytes: number;
  private buf: number[] = [];
  private discarding = false;

  /** @param options - `maxLineBytes`: longest accepted line without its CR LF, 1..65536 (default 128). */
  constructor(options: { readonly maxLineBytes?: number } = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 65536) throw new RangeError(`maxLineBytes must be an integer 1..65536 (got ${max})`);
    this.maxLineBytes = max;
  }

  /** Bytes held for the line in progress. */
  get pending(): number {
    return this.buf.length;
  }

  /**
   * Consumes a chunk.
   *
   * @param chunk - bytes as received (any split).
   * @returns the lines completed by this chunk and the errors of lines dropped, in stream order.
   */
  push(chunk: Uint8Array): FramedLine[] {
    const out: FramedLine[] = [];
    for (const byte of chunk) {
      if (byte === LF) {
        if (!this.discarding) {
          const r = this.finish();
          if (r) out.push(r);
        }
        this.buf = [];
        this.discarding = false;
        continue;
      }
      if (this.discarding) continue;
      this.buf.push(byte);
      // +1: a CR that may still be followed by LF does not count against the limit.
      if (this.buf.length > this.maxLineBytes + 1 || (this.buf.length === this.maxLineBytes + 1 && byte !== CR)) {
        out.push({
          kind: 'error',
          error: lineError('BB_ARDUINO_LINE_TOO_LONG', `line longer than ${this.maxLineBytes} bytes without a line feed; dropped up to the next line feed`, { maxLineBytes: this.maxLineBytes }),
        });
        this.buf = [];
        this.discarding = true;
      }
    }
    return out;
  }

  private finish(): FramedLine | undefined {
    let end = this.buf.length;
    if (end > 0 && this.buf[end - 1] === CR) end -= 1;
    if (end === 0) return undefined;
    for (let i = 0; i < end; i++) {
      const b = this.buf[i]!;
      if (b < 0x20 || b > 0x7e) {
        return {
          kind: 'error',
          error: lineError('BB_ARDUINO_LINE_INVALID', `byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} of a line is not printable ASCII; line dropped`, { offset: i, byte: b }),
        };
      }
    }
    return { kind: 'line', text: String.fromCharCode(...this.buf.slice(0, end)) };
  }
}
