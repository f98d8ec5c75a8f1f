/**
 * Streaming parser of BaSyTec ASCII Resultfiles (reference §3). Push chunks of bytes as they are
 * read (any split, even inside a multi-byte character or between CR and LF), get parsed rows.
 *
 * Grammar (reference §3.1, §3.2, §3.7):
 * ```
 * file      = preamble header-line *data-line
 * preamble  = *("~" [key ":" value] EOL)     ; 12 lines in real files; line 1 is the signature
 * header    = "~" name *(SEP name) EOL       ; the LAST "~" line; its first name keeps the tilde
 * data-line = field *(SEP field) EOL          ; one "data set"
 * SEP       = TAB | 1*SP                      ; detected from the header: tab if it has one
 * EOL       = LF | CR LF
 * ```
 * `DateTime` fields contain a space (`dd.mm.yyyy HH:MM:SS`); in space-separated files they take
 * two tokens and are re-joined (reference §3.7 item 4).
 *
 * Encoding, decided per file (reference §3.1, §3.7 item 6): Windows-1252 (a superset of Latin-1's
 * printable range; BaSyTec writes the degree sign as the single byte 0xB0) unless every non-ASCII
 * byte sequence of the preamble and header is well-formed UTF-8, in which case the file is read as
 * UTF-8 (the PyProBE copy is UTF-8 with U+FFFD in `T1[…C]`). A pure-ASCII preamble leaves the
 * decision to the first data line with a non-ASCII byte, by the same rule. `encoding` in the
 * options forces one.
 *
 * Pure: no I/O, no timers. Bounded memory: only the current partial line is kept (capped by
 * `maxLineBytes`).
 */
import { BasytecError } from '../errors.js';
import { mapHeader } from './columns.js';
import type { ColumnSpec } from './columns.js';
import { ZoneConverter } from './timezone.js';
import type { WallTime } from './timezone.js';

/** Text encodings the parser reads. */
export type ResultfileEncoding = 'windows-1252' | 'utf-8';

/** Default cap on one line, bytes (a real row is ~400 bytes; reference §7 sample). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** Preamble keys (reference §3.2), as read. */
export interface ResultfileMeta {
  /** `Name of Test:` */
  readonly testName: string | undefined;
  /** `Battery:` (test object). */
  readonly battery: string | undefined;
  /** `Testplan:` (a `.pln` file name). */
  readonly plan: string | undefined;
  /** `Testchannel:` e.g. `1814 CH14 XCTS_40`. */
  readonly channel: string | undefined;
  /** `Start of Test:` as printed (`dd.mm.yyyy HH:MM:SS`, local time). */
  readonly startOfTest: string | undefined;
  /** `Start of Test` in UTC ms through the configured zone; undefined when absent or unparsable. */
  readonly startedAtMs: number | undefined;
  /** `End of Test:` as printed. */
  readonly endOfTest: string | undefined;
  /** Every `key: value` preamble line, keys as printed (without `~` and `:`). */
  readonly entries: Readonly<Record<string, string>>;
}

/** Everything before the first data row: what a tailer needs to resume at a byte offset. */
export interface ResultfileHeader {
  readonly meta: ResultfileMeta;
  /** Header cells after mapping, in file order. */
  readonly columns: readonly ColumnSpec[];
  /** Field separator detected from the header line. */
  readonly separator: 'tab' | 'space';
  /** Encoding decided so far; undefined while the file is pure ASCII. */
  readonly encoding: ResultfileEncoding | undefined;
  /** The header line as decoded (with its `~`), to detect a rewrite with other columns. */
  readonly headerLine: string;
  /** Byte offset of the first data line (just after the header line's LF). */
  readonly dataOffset: number;
  /** 1-based line number of the first data line. */
  readonly dataLine: number;
}

/**
 * One data set (row) with SI names, from a Resultfile or a database row. `current_a` keeps BaSyTec's sign: positive while charging,
 * negative while discharging (reference §3.3, `I[A]`).
 */
export interface BasytecRow {
  /** `DataSet`: running number of the recorded point (reference §3.3); the resume and de-duplication key. */
  readonly data_set: number;
  /** UTC milliseconds (see {@link ParserOptions.timestampSource}). */
  readonly timestampMs: number;
  /** Elapsed time since test start, s (`Time[h|s|h:min:s]`); undefined when the file has none. */
  readonly elapsed_s: number | undefined;
  /** `Line`: test-plan line (step) number. */
  readonly line: number | undefined;
  /** `Command` of the step (`Pause`, `Charge`, …; reference §3.5). */
  readonly command: string | undefined;
  /** `State` code (3 first row of a step, 0 second, 1 running, 2 last; reference §3.4). */
  readonly state: number | undefined;
  /** `Level`, `Cyc-Count`, `Count` (reference §3.3; meaning inferred). */
  readonly level: number | undefined;
  readonly cycle_count: number | undefined;
  readonly loop_count: number | undefined;
  /**
   * Mapped measurements in SI units: `voltage_v`, `current_a`, `power_w`, `charge_ah`, `energy_wh`,
   * `temperature_<n>_c`, `resistance_ac_ohm`, `resistance_dc_ohm`, `step_time_s`, `set_time_s`,
   * `cycle_time_s`, counters such as `charged_ah`, `step_ah`, `set_charged_ah`, `cycle_charged_wh`.
   */
  readonly values: Readonly<Record<string, number>>;
  /** Unmapped columns by their header text: a number when the field parses as one, else text. */
  readonly extra: Readonly<Record<string, number | string>>;
}

/** A {@link BasytecRow} read from a Resultfile, with its place in the file. */
export interface ResultRow extends BasytecRow {
  /** 1-based line number in the file. */
  readonly lineNumber: number;
  /** Byte offset just after this row's line feed: where to resume once this row is acknowledged. */
  readonly endOffset: number;
}

/** Options of {@link ResultfileParser}. */
export interface ParserOptions {
  /** IANA zone of the test PC's clock (the file carries none, reference §3.2). Required. */
  readonly timeZone: string;
  /** Force an encoding instead of deciding per file. @default 'auto' */
  readonly encoding?: ResultfileEncoding | 'auto';
  /**
   * Where `timestampMs` comes from. `auto`: `DateTime`, else `Date`+`Time`, else
   * `Start of Test` + elapsed. `elapsed`: `Start of Test` + elapsed first (sub-second resolution,
   * no DST fold ambiguity), clock columns as fallback. @default 'auto'
   */
  readonly timestampSource?: 'auto' | 'elapsed';
  /** Cap of one line, bytes. @default {@link DEFAULT_MAX_LINE_BYTES} */
  readonly maxLineBytes?: number;
  /** Resume mid-file: the header read earlier and the byte offset/line number where the next line starts. */
  readonly resume?: { readonly header: ResultfileHeader; readonly offset: number; readonly lineNumber: number };
}

/** What one {@link ResultfileParser.push} produced. Errors are per row; parsing went on. */
export interface ParseOutput {
  readonly rows: ResultRow[];
  readonly errors: BasytecError[];
}

const TILDE = 0x7e;
const LF = 0x0a;
const CR = 0x0d;
const HIGH_BYTE = /[\x80-\xff]/;
const C1 = /[\x80-\x9f]/;
const DATE_RE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const CLOCK_RE = /^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,3}))?$/;
const HMS_RE = /^(-?\d+):(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$/;

const win1252 = new TextDecoder('windows-1252');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Whether `bytes` (with at least one byte ≥ 0x80) is well-formed UTF-8. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `dd.mm.yyyy` and `HH:MM:SS[.fff]` into wall-clock fields, or undefined.
 * (Reference §3.2/§3.3: day first, dots; hours 0-23.)
 */
export function parseWallTime(date: string, clock: string): WallTime | undefined {
  const d = DATE_RE.exec(date);
  const c = CLOCK_RE.exec(clock);
  if (d === null || c === null) return undefined;
  const w: WallTime = {
    day: Number(d[1]), month: Number(d[2]), year: Number(d[3]),
    hour: Number(c[1]), minute: Number(c[2]), second: Number(c[3]),
    millisecond: c[4] === undefined ? 0 : Number(c[4].padEnd(3, '0')),
  };
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59 || w.second > 60) return undefined;
  return w;
}

/** A decimal number; exponent notation accepted; a decimal comma accepted (reference §3.1 [INFERRED]). */
export function parseNumber(s: string): number | undefined {
  if (s === '') return undefined;
  let n = Number(s);
  if (Number.isFinite(n) && !/^\s|\s$|^[+-]?0[xXbBoO]/.test(s)) return n;
  if (/^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$/.test(s)) {
    n = Number(s.replace(',', '.'));
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** `h:mm:ss[.f]` → seconds; hours may exceed 24 (reference §3.3, `Time[h:min:s]`). */
export function parseHms(s: string): number | undefined {
  const m = HMS_RE.exec(s);
  if (m === null) return undefined;
  const h = Number(m[1]);
  const sec = Number((m[3] ?? '').replace(',', '.'));
  const min = Number(m[2]);
  if (min > 59 || sec >= 60) return undefined;
  return (h < 0 ? -1 : 1) * (Math.abs(h) * 3600 + min * 60 + sec);
}

/**
 * The streaming Resultfile parser. Create one per file (or per resumed file with
 * {@link ParserOptions.resume}), `push` bytes, call `end` at the end of a complete file.
 * Throws only for a file that is not a Resultfile or has an unusable header; a bad row is
 * reported in {@link ParseOutput.errors} and skipped.
 */
export class ResultfileParser {
  private readonly zone: ZoneConverter;
  private readonly maxLineBytes: number;
  private readonly forced: ResultfileEncoding | undefined;
  private readonly preferElapsed: boolean;
  private pending: Buffer = Buffer.alloc(0);
  private discarding = false;
  /** Byte offset of `pending[0]` in the file. */
  private offset: number;
  /** 1-based number of the line that starts at `offset`. */
  private lineNumber: number;
  private preamble: { text: string; bytes: Buffer }[] = [];
  private hdr: ResultfileHeader | undefined;
  private encoding: ResultfileEncoding | undefined;
  private cols: readonly ColumnSpec[] = [];
  private dateTimeIdx = -1;
  private dateIdx = -1;
  private clockIdx = -1;
  private lastDataSet: number | undefined;

  /**
   * @param opts - see {@link ParserOptions}.
   * @throws {BasytecError} `BB_BASYTEC_TIME_ZONE_INVALID` for an unknown zone; `BB_BASYTEC_CONFIG_INVALID` for a bad cap.
   */
  constructor(opts: ParserOptions) {
    this.zone = new ZoneConverter(opts.timeZone);
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(this.maxLineBytes) || this.maxLineBytes < 256) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `maxLineBytes must be an integer ≥ 256, got ${String(opts.maxLineBytes)}`, { context: { field: 'maxLineBytes' } });
    }
    this.forced = opts.encoding === undefined || opts.encoding === 'auto' ? undefined : opts.encoding;
    this.encoding = this.forced;
    this.preferElapsed = opts.timestampSource === 'elapsed';
    this.offset = opts.resume?.offset ?? 0;
    this.lineNumber = opts.resume?.lineNumber ?? 1;
    if (opts.resume !== undefined) this.adoptHeader(opts.resume.header);
  }

  /** The header once the first data line has started (or after `end`), else undefined. */
  get header(): ResultfileHeader | undefined {
    return this.hdr === undefined ? undefined : { ...this.hdr, encoding: this.encoding };
  }

  /** Byte offset of the first byte not yet consumed as a complete line. */
  get consumedOffset(): number {
    return this.offset;
  }

  /** 1-based number of the next line to be completed. */
  get nextLineNumber(): number {
    return this.lineNumber;
  }

  /** DataSet of the last row emitted. */
  get lastEmittedDataSet(): number | undefined {
    return this.lastDataSet;
  }

  /**
   * Feeds bytes. Complete lines are parsed; a trailing partial line waits for more.
   * @throws {BasytecError} `BB_BASYTEC_NOT_A_RESULTFILE` (first line not `~`), `BB_BASYTEC_HEADER_INVALID`.
   */
  push(chunk: Uint8Array): ParseOutput {
    const out: ParseOutput = { rows: [], errors: [] };
    const c = toBuffer(chunk);
    let buf = this.pending.length === 0 ? c : Buffer.concat([this.pending, c]);
    let pos = 0;
    let base = this.offset;
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        this.handleLine(buf, pos, nl, base + pos, base + nl + 1, out);
      }
      this.lineNumber++;
      pos = nl + 1;
      this.offset = base + pos;
    }
    if (pos > 0) {
      base += pos;
      buf = buf.subarray(pos);
    }
    if (buf.length > this.maxLineBytes && !this.discarding) {
      out.errors.push(new BasytecError('BB_BASYTEC_LINE_TOO_LONG', `line ${this.lineNumber} exceeds ${this.maxLineBytes} bytes without a line feed; dropped`, {
        context: { lineNumber: this.lineNumber, offset: base, maxLineBytes: this.maxLineBytes },
      }));
      this.discarding = true;
    }
    if (this.discarding) {
      // keep nothing; the offset of the dropped line's end is set when its LF arrives
      this.offset = base;
      this.pending = Buffer.alloc(0);
    } else {
      this.offset = base;
      // copy so that the caller's chunk can be reused and the big buffer freed
      this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    }
    return out;
  }

  /**
   * End of a complete file: parses a last line without line feed and finalises a header that
   * has no data rows yet.
   * @throws {BasytecError} as {@link push}.
   */
  end(): ParseOutput {
    const out: ParseOutput = { rows: [], errors: [] };
    if (this.pending.length > 0 && !this.discarding) {
      const buf = this.pending;
      this.handleLine(buf, 0, buf.length, this.offset, this.offset + buf.length, out);
      this.offset += buf.length;
      this.lineNumber++;
    }
    this.pending = Buffer.alloc(0);
    if (this.hdr === undefined && this.preamble.length > 0) this.finishHeader(this.offset);
    return out;
  }

  private decode(buf: Buffer, s: number, e: number): string {
    if (this.encoding === 'utf-8') return buf.toString('utf8', s, e);
    const latin = buf.toString('latin1', s, e);
    if (this.encoding === 'windows-1252') return C1.test(latin) ? win1252.decode(buf.subarray(s, e)) : latin;
    // undecided: ASCII so far
    if (!HIGH_BYTE.test(latin)) return latin;
    this.encoding = isUtf8(buf.subarray(s, e)) ? 'utf-8' : 'windows-1252';
    return this.decode(buf, s, e);
  }

  private handleLine(buf: Buffer, s: number, e: number, startOffset: number, endOffset: number, out: ParseOutput): void {
    let end = e;
    if (end > s && buf[end - 1] === CR) end--;
    if (this.hdr === undefined) {
      if (end > s && buf[s] === TILDE) {
        this.preamble.push({ text: '', bytes: Buffer.from(buf.subarray(s, end)) });
        return;
      }
      if (this.preamble.length === 0) {
        throw new BasytecError('BB_BASYTEC_NOT_A_RESULTFILE', `line ${this.lineNumber} does not start with "~": not a BaSyTec Resultfile (reference §3.1)`, {
          context: { lineNumber: this.lineNumber },
        });
      }
      this.finishHeader(startOffset);
    }
    if (end === s) return; // blank line
    if (buf[s] === TILDE) {
      out.errors.push(new BasytecError('BB_BASYTEC_HEADER_INVALID', `line ${this.lineNumber}: a "~" line after data rows (a rewritten or concatenated file); skipped`, {
        context: { lineNumber: this.lineNumber, offset: endOffset },
      }));
      return;
    }
    const text = this.decode(buf, s, end);
    const row = this.parseRow(text, endOffset, out);
    if (row !== undefined) {
      out.rows.push(row);
      this.lastDataSet = row.data_set;
    }
  }

  private finishHeader(dataOffset: number): void {
    if (this.forced === undefined) {
      const all = Buffer.concat(this.preamble.map((p) => p.bytes));
      if (HIGH_BYTE.test(all.toString('latin1'))) this.encoding = isUtf8(all) ? 'utf-8' : 'windows-1252';
    }
    const lines = this.preamble.map((p) => (this.encoding === 'utf-8' ? utf8Lenient.decode(p.bytes) : win1252.decode(p.bytes)));
    const headerLine = lines[lines.length - 1] ?? '~';
    const entries: Record<string, string> = {};
    for (const l of lines.slice(0, -1)) {
      const body = l.slice(1);
      const i = body.indexOf(':');
      if (i > 0) entries[body.slice(0, i).trim()] = body.slice(i + 1).trim();
    }
    const startOfTest = entries['Start of Test'];
    let startedAtMs: number | undefined;
    if (startOfTest !== undefined) {
      const [d = '', t = ''] = startOfTest.split(/\s+/);
      const w = parseWallTime(d, t);
      if (w !== undefined) startedAtMs = this.zone.toUtcMs(w);
    }
    const meta: ResultfileMeta = {
      testName: entries['Name of Test'], battery: entries['Battery'], plan: entries['Testplan'], channel: entries['Testchannel'],
      startOfTest, startedAtMs, endOfTest: entries['End of Test'], entries,
    };
    const separator = headerLine.includes('\t') ? 'tab' : 'space';
    const cells = separator === 'tab' ? headerLine.split('\t') : headerLine.trim().split(/ +/);
    while (cells.length > 1 && cells[cells.length - 1]?.trim() === '') cells.pop();
    const columns = mapHeader(cells);
    const header: ResultfileHeader = { meta, columns, separator, encoding: this.encoding, headerLine, dataOffset, dataLine: this.lineNumber };
    this.validateHeader(header);
    this.adoptHeader(header);
    this.preamble = [];
  }

  private validateHeader(h: ResultfileHeader): void {
    const ctx = { headerLine: h.headerLine };
    if (h.columns.length === 0 || h.columns.some((c) => c.header === '')) {
      throw new BasytecError('BB_BASYTEC_HEADER_INVALID', `header line has an empty column name: ${JSON.stringify(h.headerLine)}`, { context: ctx });
    }
    const seen = new Set<string>();
    for (const c of h.columns) {
      if (seen.has(c.header)) throw new BasytecError('BB_BASYTEC_HEADER_INVALID', `header repeats column ${JSON.stringify(c.header)}`, { context: { ...ctx, column: c.header } });
      seen.add(c.header);
    }
    if (!h.columns.some((c) => c.target === 'data_set')) {
      throw new BasytecError('BB_BASYTEC_HEADER_INVALID', `header has no DataSet column (needed to resume and de-duplicate, reference §3.7 item 9): ${JSON.stringify(h.headerLine)}`, { context: ctx });
    }
    if (!h.columns.some((c) => c.target === 'elapsed_s' || c.target === 'datetime' || c.target === 'date')) {
      throw new BasytecError('BB_BASYTEC_HEADER_INVALID', `header has no time column (Time[h|s|h:min:s], DateTime or Date+Time): ${JSON.stringify(h.headerLine)}`, { context: ctx });
    }
  }

  private adoptHeader(h: ResultfileHeader): void {
    this.hdr = h;
    if (this.encoding === undefined) this.encoding = h.encoding;
    this.cols = h.columns;
    this.dateTimeIdx = h.columns.findIndex((c) => c.kind === 'datetime');
    this.dateIdx = h.columns.findIndex((c) => c.kind === 'date');
    this.clockIdx = h.columns.findIndex((c) => c.kind === 'clock');
  }

  private rowError(code: 'BB_BASYTEC_ROW_COLUMN_COUNT' | 'BB_BASYTEC_ROW_VALUE_INVALID' | 'BB_BASYTEC_TIMESTAMP_UNAVAILABLE', msg: string, endOffset: number, extra: Record<string, string | number> = {}): BasytecError {
    return new BasytecError(code, `line ${this.lineNumber}: ${msg}`, { context: { lineNumber: this.lineNumber, endOffset, ...extra } });
  }

  private split(text: string, endOffset: number, out: ParseOutput): string[] | undefined {
    const n = this.cols.length;
    const h = this.hdr as ResultfileHeader;
    let f: string[];
    if (h.separator === 'tab') {
      f = text.split('\t');
      if (f.length === n + 1 && f[n] === '') f.pop();
    } else {
      f = text.trim().split(/ +/);
      if (this.dateTimeIdx >= 0 && f.length === n + 1) {
        const i = this.dateTimeIdx;
        f.splice(i, 2, `${f[i] ?? ''} ${f[i + 1] ?? ''}`);
      }
    }
    if (f.length !== n) {
      out.errors.push(this.rowError('BB_BASYTEC_ROW_COLUMN_COUNT', `${f.length} fields, header has ${n}${h.separator === 'space' && this.dateTimeIdx >= 0 ? ' (DateTime counts as two tokens)' : ''}`, endOffset, { expected: n, actual: f.length }));
      return undefined;
    }
    return f;
  }

  private parseRow(text: string, endOffset: number, out: ParseOutput): ResultRow | undefined {
    const f = this.split(text, endOffset, out);
    if (f === undefined) return undefined;
    const values: Record<string, number> = {};
    const extra: Record<string, number | string> = {};
    const ctx: Record<string, number | string | undefined> = {};
    let elapsed: number | undefined;
    let wall: WallTime | undefined;
    for (let i = 0; i < f.length; i++) {
      const col = this.cols[i] as ColumnSpec;
      const raw = (f[i] as string).trim();
      switch (col.kind) {
        case 'number': {
          const v = parseNumber(raw);
          if (v === undefined) {
            out.errors.push(this.rowError('BB_BASYTEC_ROW_VALUE_INVALID', `column ${col.header}: ${JSON.stringify(raw)} is not a number`, endOffset, { column: col.header, value: raw }));
            return undefined;
          }
          if (col.target === 'elapsed_s') elapsed = v * col.scale;
          else values[col.target] = col.scale === 1 ? v : v * col.scale;
          break;
        }
        case 'integer': {
          const v = parseNumber(raw);
          if (v === undefined || !Number.isInteger(v)) {
            out.errors.push(this.rowError('BB_BASYTEC_ROW_VALUE_INVALID', `column ${col.header}: ${JSON.stringify(raw)} is not an integer`, endOffset, { column: col.header, value: raw }));
            return undefined;
          }
          ctx[col.target] = v;
          break;
        }
        case 'hms': {
          const v = parseHms(raw);
          if (v === undefined) {
            out.errors.push(this.rowError('BB_BASYTEC_ROW_VALUE_INVALID', `column ${col.header}: ${JSON.stringify(raw)} is not h:mm:ss`, endOffset, { column: col.header, value: raw }));
            return undefined;
          }
          if (col.target === 'elapsed_s') elapsed = v;
          else values[col.target] = v;
          break;
        }
        case 'text':
          ctx[col.target] = raw;
          break;
        case 'datetime': {
          const [d = '', t = ''] = raw.split(/\s+/);
          wall = parseWallTime(d, t);
          if (wall === undefined) {
            out.errors.push(this.rowError('BB_BASYTEC_ROW_VALUE_INVALID', `column ${col.header}: ${JSON.stringify(raw)} is not dd.mm.yyyy HH:MM:SS`, endOffset, { column: col.header, value: raw }));
            return undefined;
          }
          break;
        }
        case 'date':
        case 'clock':
          break; // read together below
        case 'extra': {
          const v = parseNumber(raw);
          extra[col.header] = v ?? raw;
          break;
        }
      }
    }
    if (wall === undefined && this.dateIdx >= 0 && this.clockIdx >= 0) {
      const d = (f[this.dateIdx] as string).trim();
      const t = (f[this.clockIdx] as string).trim();
      wall = parseWallTime(d, t);
      if (wall === undefined) {
        out.errors.push(this.rowError('BB_BASYTEC_ROW_VALUE_INVALID', `columns Date/Time: ${JSON.stringify(`${d} ${t}`)} is not dd.mm.yyyy HH:MM:SS`, endOffset, { column: 'Date+Time', value: `${d} ${t}` }));
        return undefined;
      }
    } else if (this.dateIdx >= 0 && this.clockIdx < 0) {
      extra[(this.cols[this.dateIdx] as ColumnSpec).header] = (f[this.dateIdx] as string).trim();
    }
    const started = (this.hdr as ResultfileHeader).meta.startedAtMs;
    const fromElapsed = started !== undefined && elapsed !== undefined ? started + Math.round(elapsed * 1000) : undefined;
    const fromClock = wall === undefined ? undefined : this.zone.toUtcMs(wall);
    const ts = this.preferElapsed ? fromElapsed ?? fromClock : fromClock ?? fromElapsed;
    if (ts === undefined) {
      out.errors.push(this.rowError('BB_BASYTEC_TIMESTAMP_UNAVAILABLE', 'no DateTime, no Date+Time and no Start of Test + elapsed time', endOffset));
      return undefined;
    }
    return {
      data_set: ctx['data_set'] as number,
      timestampMs: ts,
      elapsed_s: elapsed,
      line: ctx['line'] as number | undefined,
      command: ctx['command'] as string | undefined,
      state: ctx['state'] as number | undefined,
      level: ctx['level'] as number | undefined,
      cycle_count: ctx['cycle_count'] as number | undefined,
      loop_count: ctx['loop_count'] as number | undefined,
      values,
      extra,
      lineNumber: this.lineNumber,
      endOffset,
    };
  }
}

/**
 * Parses a whole Resultfile held in memory (tests, small files). For files of any size, stream
 * through {@link ResultfileParser}.
 * @throws {BasytecError} as {@link ResultfileParser.push}.
 */
export function parseResultfile(bytes: Uint8Array, opts: ParserOptions): { header: ResultfileHeader; rows: ResultRow[]; errors: BasytecError[] } {
  const p = new ResultfileParser(opts);
  const a = p.push(bytes);
  const b = p.end();
  const header = p.header;
  if (header === undefined) throw new BasytecError('BB_BASYTEC_NOT_A_RESULTFILE', 'the file is empty: no preamble, no header (reference §3.1)');
  return { header, rows: [...a.rows, ...b.rows], errors: [...a.errors, ...b.errors] };
}
