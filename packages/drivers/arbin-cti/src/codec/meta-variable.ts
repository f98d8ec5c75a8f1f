/**
 * Meta-variables: set one MV (0xBB150001, README §4.7) and update many (MV-advanced 0xBB150002,
 * README §6.2, [P1.1] THIRD_PARTY_UPDATE_META_VARIABLE_ADVANCED_CODE). Feedbacks: standard 128 bytes.
 *
 *   set-MV   (74 bytes, dwLen 62)
 *     20 u32 channel index   24 i32 mv_type (= 1, IV)   28 i32 mv_meta_code   32 byte[16] reserved
 *     48 i32 mv_value_type (= 1, float)   52 f32 mv_data   56 byte[16] reserved
 *   MV-advanced (42 + 8·count bytes; [P1.1] layout, [I4.5] adds a u32 channel — uncertain)
 *     20 u16 count (≤ 160)   22 byte[18] reserved
 *     40 {u16 channel index, u16 meta code, f32 value}[count]
 *
 * MetaCodes of MV_UD1..16 (README §4.7): 52, 53, 54, 55, 105 … 116.
 */
import { Buffer } from 'node:buffer';
import { ArbinCtiError } from '../errors.js';
import { CTI_COMMANDS } from './commands.js';
import { checkFloat32, checkIndex } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';
import { MAX_CHANNEL_INDEX0 } from './schedule.js';

/** MetaCode of MV_UD1 … MV_UD16, index k−1 for MV_UDk (README §4.7). */
export const MV_UD_META_CODES: readonly number[] = [52, 53, 54, 55, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116];

/** Largest number of entries of one MV-advanced message (README §6.2). */
export const MAX_MV_ADVANCED_ENTRIES = 160;

/** Minimum spacing of MV updates of one channel, ms (README §5.4 code 0x14, §10). */
export const MV_MIN_INTERVAL_MS = 200;

/** A user MV number, 1..16 (MV_UD1 … MV_UD16). */
export type MvNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16;

/**
 * The MetaCode of MV_UD`mv`.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when `mv` is not an integer in 1..16.
 */
export function mvMetaCode(mv: number): number {
  const code = Number.isInteger(mv) ? MV_UD_META_CODES[mv - 1] : undefined;
  if (code === undefined) throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `meta-variable MV_UD${mv} does not exist (MV_UD1..MV_UD16)`, { context: { field: 'mv', value: mv } });
  return code;
}

/** The MV_UD number (1..16) of a MetaCode, or `undefined` for other codes. */
export function mvNumberOfMetaCode(code: number): MvNumber | undefined {
  const i = MV_UD_META_CODES.indexOf(code);
  return i < 0 ? undefined : ((i + 1) as MvNumber);
}

/** Set-MV request (README §4.7). */
export interface SetMetaVariableRequest {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** MetaCode (see {@link MV_UD_META_CODES}). */
  readonly mv_meta_code: number;
  /** New value (float32). */
  readonly mv_data: number;
  /** MV type; CTI accepts only 1 (IV). Default 1. */
  readonly mv_type?: number;
  /** Value type; only 1 (float). Default 1. */
  readonly mv_value_type?: number;
}

/** Encodes a set-MV request. @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT`. */
export function encodeSetMetaVariableRequest(req: SetMetaVariableRequest): Buffer {
  const args = Buffer.alloc(74 - 22);
  args.writeUInt32LE(checkIndex(req.channel_index0, 'channel_index0', 0, MAX_CHANNEL_INDEX0), 0);
  args.writeInt32LE(req.mv_type ?? 1, 4);
  args.writeInt32LE(checkIndex(req.mv_meta_code, 'mv_meta_code', 0, 0x7fffffff), 8);
  args.writeInt32LE(req.mv_value_type ?? 1, 28);
  args.writeFloatLE(checkFloat32(req.mv_data, 'mv_data'), 32);
  return encodeFrame('request', CTI_COMMANDS.setMetaVariable.request, args);
}

/** Decodes a set-MV request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeSetMetaVariableRequest(frame: CtiFrame): Required<SetMetaVariableRequest> {
  const b = expectFrame(frame, CTI_COMMANDS.setMetaVariable.request, 74, 'set-MV request');
  return { channel_index0: b.readUInt32LE(20), mv_type: b.readInt32LE(24), mv_meta_code: b.readInt32LE(28), mv_value_type: b.readInt32LE(48), mv_data: b.readFloatLE(52) };
}

/** One entry of an MV-advanced update. */
export interface MvUpdateEntry {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** MetaCode. */
  readonly mv_meta_code: number;
  /** New value (float32). */
  readonly value: number;
}

/**
 * Encodes an MV-advanced (batch) request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when empty, above 160 entries, or a value is invalid.
 */
export function encodeUpdateMetaVariablesRequest(entries: readonly MvUpdateEntry[]): Buffer {
  if (entries.length === 0 || entries.length > MAX_MV_ADVANCED_ENTRIES) {
    throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `MV-advanced takes 1..${MAX_MV_ADVANCED_ENTRIES} entries, got ${entries.length}`, { context: { field: 'entries', value: entries.length } });
  }
  const args = Buffer.alloc(20 + 8 * entries.length);
  args.writeUInt16LE(entries.length, 0);
  entries.forEach((e, i) => {
    const at = 20 + 8 * i;
    args.writeUInt16LE(checkIndex(e.channel_index0, `entries[${i}].channel_index0`, 0, MAX_CHANNEL_INDEX0), at);
    args.writeUInt16LE(checkIndex(e.mv_meta_code, `entries[${i}].mv_meta_code`, 0, 0xffff), at + 2);
    args.writeFloatLE(checkFloat32(e.value, `entries[${i}].value`), at + 4);
  });
  return encodeFrame('request', CTI_COMMANDS.updateMetaVariables.request, args);
}

/** Decodes an MV-advanced request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeUpdateMetaVariablesRequest(frame: CtiFrame): MvUpdateEntry[] {
  const b = expectFrame(frame, CTI_COMMANDS.updateMetaVariables.request, 42, 'MV-advanced request');
  const n = b.readUInt16LE(20);
  expectFrame(frame, CTI_COMMANDS.updateMetaVariables.request, 42 + 8 * n, 'MV-advanced entries');
  return Array.from({ length: n }, (_, i) => ({ channel_index0: b.readUInt16LE(40 + 8 * i), mv_meta_code: b.readUInt16LE(42 + 8 * i), value: b.readFloatLE(44 + 8 * i) }));
}
