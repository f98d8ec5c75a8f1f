/**
 * Read (0xBF) and write (0xFF) parameter requests and the read answer (itron-corus README §5, §6).
 *
 * ```
 * read request:   01 BF LEN id id ... 03 CRC        LEN = id BYTES (§4.6 one- or two-byte ids)
 * read answer:    01 LEN value value ... 03 CRC     values in request order, fixed class lengths, no ids
 * write request:  01 FF LEN (id value)... 03 CRC    answer: single ACK 06 (else refusal)
 * ```
 */
import { CorusError } from '../errors.js';
import { CLASS_LENGTH, decodeValue, encodeValue, type ClassCodecOptions, type CorusClass, type CorusInputValue, type CorusValue } from './data-classes.js';
import { Command, encodeRequestFrame, MAX_FRAME_DATA } from './frames.js';
import { encodeParameterId, parameterIdLength } from './parameter-id.js';

/** A parameter as the wire knows it: numeric id and data class (README §7). */
export interface ParameterRef {
  /** Parameter id 0..4095. */
  readonly id: number;
  /** Its data class in the device's map. */
  readonly class: CorusClass;
}

/**
 * Read request frame for `ids` (README §5).
 * @throws {CorusError} `BB_CORUS_ID_OUT_OF_RANGE`, `BB_CORUS_FRAME_TOO_LONG`.
 */
export function encodeReadRequest(ids: readonly number[]): Uint8Array {
  const parts = ids.map(encodeParameterId);
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return encodeRequestFrame(Command.READ, data);
}

/**
 * Splits `refs` into groups whose request and answer each fit `maxData` bytes (README §4.7).
 * @throws {CorusError} `BB_CORUS_FRAME_TOO_LONG` when one parameter alone does not fit.
 */
export function planReads<T extends ParameterRef>(refs: readonly T[], maxData = MAX_FRAME_DATA): T[][] {
  const groups: T[][] = [];
  let cur: T[] = [];
  let req = 0;
  let ans = 0;
  for (const r of refs) {
    const ri = parameterIdLength(r.id);
    const ra = CLASS_LENGTH[r.class];
    if (ri > maxData || ra > maxData) throw new CorusError('BB_CORUS_FRAME_TOO_LONG', `parameter ${r.id} does not fit a ${maxData}-byte frame`);
    if (req + ri > maxData || ans + ra > maxData) {
      groups.push(cur);
      cur = [];
      req = 0;
      ans = 0;
    }
    cur.push(r);
    req += ri;
    ans += ra;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/**
 * Splits a read answer's DATA into values, in request order (README §5).
 * @returns one value per ref (`null` = no value).
 * @throws {CorusError} `BB_CORUS_RESPONSE_LENGTH` (naming the ids) when the length differs from the
 *   sum of class lengths; value decode errors (`BB_CORUS_VALUE_INVALID`).
 */
export function decodeReadResponse(data: Uint8Array, refs: readonly ParameterRef[], options: ClassCodecOptions = {}): CorusValue[] {
  const expected = refs.reduce((n, r) => n + CLASS_LENGTH[r.class], 0);
  if (data.length !== expected) {
    throw new CorusError('BB_CORUS_RESPONSE_LENGTH', `read answer for ids ${refs.map((r) => r.id).join(',')} has ${data.length} bytes, classes need ${expected}`, {
      context: { expected, actual: data.length, ids: refs.map((r) => r.id).join(',') },
    });
  }
  const out: CorusValue[] = [];
  let o = 0;
  for (const r of refs) {
    out.push(decodeValue(r.class, data, o, options));
    o += CLASS_LENGTH[r.class];
  }
  return out;
}

/** One item of a write: the parameter and its value. */
export interface WriteItem extends ParameterRef {
  /** The value; `null` writes the no-value pattern (README §6). */
  readonly value: CorusInputValue;
}

/**
 * Write request frame (README §6): each id immediately followed by its value — including two-byte
 * ids, whose value iflag drops (§12 item 1).
 * @throws {CorusError} `BB_CORUS_ID_OUT_OF_RANGE`, value encode errors, `BB_CORUS_FRAME_TOO_LONG`.
 */
export function encodeWriteRequest(items: readonly WriteItem[], options: ClassCodecOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const it of items) {
    parts.push(encodeParameterId(it.id), encodeValue(it.class, it.value, options));
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return encodeRequestFrame(Command.WRITE, data);
}
