/**
 * A batch's lines of line protocol, encoded as UTF-8 into buffers as they are written — `<line>\n`
 * after `<line>\n` — and cut into write requests of at most `linesPerChunk` lines. The line strings
 * die young (the bytes live outside the JavaScript heap until InfluxDB acknowledged them), and a
 * request body is the chunk's buffer as is: no join, no second copy.
 */

/** Lines of one write request: `bytes` holds them one after the other, each ended by `\n`; `ends[i]` is the offset after the newline of line `i`. */
export class LineChunk {
  /**
   * @param bytes - UTF-8 lines, each ended by a newline.
   * @param ends - the offset after each line's newline, increasing; the last equals `bytes.length`.
   */
  constructor(
    readonly bytes: Buffer,
    readonly ends: readonly number[],
  ) {}

  /** Number of lines. */
  get count(): number {
    return this.ends.length;
  }

  /** Lines `from` … `to - 1` as a chunk sharing these bytes. */
  slice(from: number, to: number): LineChunk {
    const start = from === 0 ? 0 : this.ends[from - 1]!;
    const end = to === 0 ? 0 : this.ends[to - 1]!;
    return new LineChunk(this.bytes.subarray(start, end), this.ends.slice(from, to).map((e) => e - start));
  }

  /** Line `i` as text, without its newline (for logs). */
  line(i: number): string {
    const start = i === 0 ? 0 : this.ends[i - 1]!;
    return this.bytes.toString('utf8', start, this.ends[i]! - 1);
  }
}

/** Builds a batch's {@link LineChunk}s, line by line. */
export class LineChunker {
  private readonly chunks: LineChunk[] = [];
  private buf: Buffer;
  private used = 0;
  private ends: number[] = [];
  private total = 0;

  /** @param linesPerChunk - most lines per chunk (≥ 1). @param initialBytes - first buffer size of a chunk. */
  constructor(
    private readonly linesPerChunk: number,
    private readonly initialBytes = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Appends one line (no newline inside it except in string field values; the newline after it is added). */
  append(line: string): void {
    const room = line.length * 3 + 1; // the most UTF-8 bytes a UTF-16 string of this length can need, and the newline
    if (this.used + room > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + room));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
    this.ends.push(this.used);
    if (this.ends.length >= this.linesPerChunk) this.cut();
  }

  /** Line-protocol bytes appended so far. */
  get bytes(): number {
    return this.total + this.used;
  }

  /** The chunks (the last one possibly shorter); the chunker is empty afterwards. */
  finish(): LineChunk[] {
    if (this.ends.length > 0) this.cut();
    return this.chunks.splice(0);
  }

  private cut(): void {
    // keep the bytes in a buffer of their size when the one written into is much larger
    const bytes = this.buf.length > this.used * 1.25 ? Buffer.from(this.buf.subarray(0, this.used)) : this.buf.subarray(0, this.used);
    this.chunks.push(new LineChunk(bytes, this.ends));
    this.total += this.used;
    this.buf = Buffer.allocUnsafe(Math.max(this.initialBytes, this.used));
    this.used = 0;
    this.ends = [];
  }
}
