/**
 * Database (log) requests, frames, reassembly and record decoding (itron-corus README §9).
 *
 * ```
 * request:      01 BE 0D  DB  F9 FF FF FF  START(Date)  STOP(Date)  03 CRC     (§9.2)
 *               DB low nibble = id (0 interval, 1 hourly, 2 daily, 3 monthly, 4 event, 5 parameter)
 *               START = newest bound, STOP = oldest bound, 00000000 = unbounded
 * frame DATA:   first:  FN-lo FN-hi RECSIZE record-bytes...                           (§9.3)
 *               next:   FN-lo FN-hi record-bytes...
 *               FN bits 0–14 number (+1 per frame), bit 15 = last frame
 * empty answer: first frame, last bit set, RECSIZE 0  (01 03 01 80 00 03 81 E6)        (§9.5)
 * flow:         ACK → next frame, NAK → same frame again (≤ 3), no ACK after the last (§9.4)
 * ```
 */
import { CorusError } from '../errors.js';
import { CLASS_LENGTH, decodeValue, encodeValue, formatCorusDateTime, type ClassCodecOptions, type CorusClass, type CorusDateTime, type CorusValue } from './data-classes.js';
import { ExactDecimal } from './exact-decimal.js';
import { Command, encodeRequestFrame, MAX_FRAME_DATA } from './frames.js';

/** Database ids (README §9.1). */
export const DATABASE_IDS = { interval: 0, hourly: 1, daily: 2, monthly: 3, event: 4, parameter: 5 } as const;

/** The option mask iflag sends verbatim (README §9.2; bit meanings [U]). */
export const DATABASE_OPTION_MASK: Uint8Array = Uint8Array.of(0xf9, 0xff, 0xff, 0xff);

/** A database request (README §9.2). */
export interface DatabaseRequest {
  /** Database id 0..15 (low nibble of the DB byte). */
  readonly databaseId: number;
  /** Newest bound (compared with the record end date, [U]); `null` = unbounded. */
  readonly start: CorusDateTime | null;
  /** Oldest bound; `null` = unbounded. */
  readonly stop: CorusDateTime | null;
}

function encodeBound(d: CorusDateTime | null): Uint8Array {
  return d === null ? new Uint8Array(4) : encodeValue('Date', d);
}

/**
 * Database request frame (README §9.2); option flags 0x80/0x10 left clear.
 * @throws {CorusError} `BB_CORUS_VALUE_OUT_OF_RANGE` for a database id outside 0..15 or a bad date.
 */
export function encodeDatabaseRequest(req: DatabaseRequest): Uint8Array {
  if (!Number.isInteger(req.databaseId) || req.databaseId < 0 || req.databaseId > 15) {
    throw new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `database id ${req.databaseId} is outside 0..15`);
  }
  const data = new Uint8Array(13);
  data[0] = req.databaseId;
  data.set(DATABASE_OPTION_MASK, 1);
  data.set(encodeBound(req.start), 5);
  data.set(encodeBound(req.stop), 9);
  return encodeRequestFrame(Command.READ_DATABASE, data);
}

/** Parsed DATA of a database request (the simulator's reader). */
export interface DecodedDatabaseRequest extends DatabaseRequest {
  /** The DB byte's flag bits (0x80 session persistence, 0x10 count records; README §9.2). */
  readonly flags: number;
  /** The 4 option-mask bytes. */
  readonly optionMask: Uint8Array;
}

/**
 * Decodes the 13 DATA bytes of a database request (README §9.2).
 * @throws {CorusError} `BB_CORUS_RESPONSE_LENGTH` when not 13 bytes; `BB_CORUS_VALUE_INVALID` for a bad bound.
 */
export function decodeDatabaseRequestData(data: Uint8Array): DecodedDatabaseRequest {
  if (data.length !== 13) throw new CorusError('BB_CORUS_RESPONSE_LENGTH', `database request DATA has ${data.length} bytes, expected 13`);
  const bound = (o: number): CorusDateTime | null => (data[o] === 0 && data[o + 1] === 0 && data[o + 2] === 0 && data[o + 3] === 0 ? null : (decodeValue('Date', data, o) as CorusDateTime | null));
  const db = data[0] as number;
  return { databaseId: db & 0x0f, flags: db & 0xf0, optionMask: data.slice(1, 5), start: bound(5), stop: bound(9) };
}

/** One database frame's DATA, parsed (README §9.3). */
export interface DatabaseFrame {
  /** Frame number (bits 0–14). */
  readonly frameNumber: number;
  /** Whether bit 15 (last frame) is set. */
  readonly last: boolean;
  /** RECSIZE, first frame only. */
  readonly recordSize: number | undefined;
  /** The record bytes this frame carries. */
  readonly recordBytes: Uint8Array;
}

/**
 * Parses one database frame's DATA (README §9.3).
 * @throws {CorusError} `BB_CORUS_FRAME_TRUNCATED` when the header does not fit.
 */
export function decodeDatabaseFrame(data: Uint8Array, first: boolean): DatabaseFrame {
  const header = first ? 3 : 2;
  if (data.length < header) throw new CorusError('BB_CORUS_FRAME_TRUNCATED', `database frame DATA of ${data.length} bytes is shorter than its ${header}-byte header`);
  const fn = (data[0] as number) | ((data[1] as number) << 8);
  return { frameNumber: fn & 0x7fff, last: (fn & 0x8000) !== 0, recordSize: first ? (data[2] as number) : undefined, recordBytes: data.subarray(header) };
}

/**
 * Cuts concatenated records into database frames' DATA (README §9.3, §13.5): the simulator's writer.
 * @param records - records back to back (newest first).
 * @param recordSize - RECSIZE (0 for an empty answer, §9.5).
 * @param chunk - at most this many record bytes per frame (≤ 252 so the first frame fits 255).
 * @param firstFrameNumber - default 1 ([U] first number).
 */
export function encodeDatabaseFrames(records: Uint8Array, recordSize: number, chunk = MAX_FRAME_DATA - 3, firstFrameNumber = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  let fn = firstFrameNumber;
  do {
    const first = o === 0;
    const header = first ? 3 : 2;
    const n = Math.min(chunk, MAX_FRAME_DATA - header, records.length - o);
    const last = o + n >= records.length;
    const d = new Uint8Array(header + n);
    const v = (fn & 0x7fff) | (last ? 0x8000 : 0);
    d[0] = v & 0xff;
    d[1] = v >> 8;
    if (first) d[2] = recordSize;
    d.set(records.subarray(o, o + n), header);
    out.push(d);
    o += n;
    fn++;
  } while (o < records.length);
  return out;
}

/**
 * Pure reassembly of a database answer (README §9.3–§9.5): feed each CRC-checked frame's DATA in
 * order; complete records come out as soon as their bytes are in. Accepts any first frame number.
 */
export class DatabaseAssembler {
  private recordSize: number | undefined;
  private previous: number | undefined;
  private pending = new Uint8Array(0);
  private done = false;

  /** Whether the last frame has been seen. */
  get finished(): boolean {
    return this.done;
  }

  /** RECSIZE from the first frame (undefined before it). */
  get size(): number | undefined {
    return this.recordSize;
  }

  /**
   * Adds one frame's DATA (only after its CRC passed: README §9.4, unlike iflag).
   * @returns the records completed by this frame, newest first as the device sends them.
   * @throws {CorusError} `BB_CORUS_DB_FRAME_ORDER` (number ≠ previous + 1, or a frame after the last),
   *   `BB_CORUS_DB_PARTIAL_RECORD` (last frame leaves a partial record, or RECSIZE 0 with data).
   */
  push(data: Uint8Array): { frame: DatabaseFrame; records: Uint8Array[] } {
    if (this.done) throw new CorusError('BB_CORUS_DB_FRAME_ORDER', 'database frame after the last frame');
    const first = this.previous === undefined;
    const frame = decodeDatabaseFrame(data, first);
    if (!first && frame.frameNumber !== (((this.previous as number) + 1) & 0x7fff)) {
      throw new CorusError('BB_CORUS_DB_FRAME_ORDER', `database frame ${frame.frameNumber} follows frame ${this.previous}`, { context: { expected: (this.previous as number) + 1, actual: frame.frameNumber } });
    }
    this.previous = frame.frameNumber;
    if (first) this.recordSize = frame.recordSize;
    this.done = frame.last;
    const size = this.recordSize as number;
    if (size === 0) {
      if (frame.recordBytes.length > 0 || !frame.last) throw new CorusError('BB_CORUS_DB_PARTIAL_RECORD', 'RECSIZE 0 with record bytes or more frames');
      return { frame, records: [] };
    }
    const all = new Uint8Array(this.pending.length + frame.recordBytes.length);
    all.set(this.pending);
    all.set(frame.recordBytes, this.pending.length);
    const records: Uint8Array[] = [];
    let o = 0;
    while (all.length - o >= size) {
      records.push(all.slice(o, o + size));
      o += size;
    }
    this.pending = all.slice(o);
    if (this.done && this.pending.length > 0) {
      throw new CorusError('BB_CORUS_DB_PARTIAL_RECORD', `database answer ends with ${this.pending.length} bytes of a ${size}-byte record`, { context: { recordSize: size, left: this.pending.length } });
    }
    return { frame, records };
  }
}

/** One field of a record layout (README §9.6). */
export interface RecordField {
  /** Field name in the decoded record. */
  readonly name: string;
  /** Data class. */
  readonly class: CorusClass;
  /** Multiply by the input pulse weight (volumes, flow rates; README §7.2, §9.6). */
  readonly affectedByPulseInput?: boolean;
  /** Divide by this after pulse scaling (README §9.6). */
  readonly multiplied?: string;
}

/** A decoded record: field name → value; no-value fields are left out (README §9.6). */
export type DecodedRecord = Record<string, Exclude<CorusValue, null>>;

/** Sum of class lengths of a layout (must equal RECSIZE: README §9.6). */
export function layoutLength(fields: readonly RecordField[]): number {
  return fields.reduce((n, f) => n + CLASS_LENGTH[f.class], 0);
}

/**
 * Decodes one record with a layout (README §9.6): no-value fields dropped, pulse-weight fields
 * multiplied exactly by `pulseWeight`, then divided by `multiplied` (20 fraction digits, half-even).
 * @throws {CorusError} `BB_CORUS_NO_LAYOUT` when the record length differs from the layout's;
 *   `BB_CORUS_VALUE_INVALID`/`BB_CORUS_VALUE_TYPE` for bad values or pulse scaling of a non-number.
 */
export function decodeRecord(record: Uint8Array, fields: readonly RecordField[], pulseWeight: ExactDecimal, options: ClassCodecOptions = {}): DecodedRecord {
  const need = layoutLength(fields);
  if (record.length !== need) throw new CorusError('BB_CORUS_NO_LAYOUT', `record of ${record.length} bytes does not match the ${need}-byte layout`);
  const out: DecodedRecord = {};
  let o = 0;
  for (const f of fields) {
    let v = decodeValue(f.class, record, o, options);
    o += CLASS_LENGTH[f.class];
    if (v === null) continue;
    if (f.affectedByPulseInput === true || f.multiplied !== undefined) {
      if (!(v instanceof ExactDecimal)) throw new CorusError('BB_CORUS_VALUE_TYPE', `field ${f.name} (${f.class}) is not numeric and cannot be scaled`);
      if (f.affectedByPulseInput === true) v = v.mul(pulseWeight);
      if (f.multiplied !== undefined) v = v.div(ExactDecimal.from(f.multiplied));
    }
    out[f.name] = v;
  }
  return out;
}

/** Plain-JSON view of a decoded record: numbers as canonical text, dates as naive ISO (vectors' form). */
export function recordToJson(r: DecodedRecord): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'string' ? v : v instanceof ExactDecimal ? v.toString() : formatCorusDateTime(v);
  return o;
}
