/**
 * Test-control requests: assign, start, stop, resume, continue, jump (Arbin CTI reference README
 * §4.4–§4.6 and §6.2). Their feedbacks are the standard 128-byte frame (./feedback.ts).
 *
 *   assign   0xBB210001 (671 bytes, dwLen 659)
 *     20 i32 channel index   24 u8 assign_all_channels   25 wchar[200] schedule
 *     425 f32 test_capacity_ah (MITS7 only)   429 wchar[72] barcode
 *     573 f32[16] user_variable_1..16 (MITS7 only)   637 byte[32] reserved
 *   start    0xBB320004 (170 + 2N bytes, dwLen 158 + 2N)
 *     20 wchar[72] test_name   164 u32 N   168 u16[N] channel indexes
 *   stop     0xBB310001 (128 bytes, dwLen 116)
 *     20 u32 channel index   24 u8 stop_all_channels   25 byte[101] reserved
 *   resume   0xBB310002 (128 bytes, dwLen 116)
 *     20 i32 channel index   24 u8 resume_all   25 byte[101] reserved
 *   continue 0xBB320006 (26 + 2N bytes; [I4.5] layout, [P1.1] differs — uncertain)
 *     20 u32 N   24 u16[N] channel indexes
 *   jump     0xBB320005 (131 bytes, dwLen 119)
 *     20 i32 step, 0-based   24 i32 channel index   28 byte[101] reserved
 */
import { Buffer } from 'node:buffer';
import { CTI_COMMANDS } from './commands.js';
import { checkFloat32, checkIndex, readWideString, writeWideString } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';
import { ArbinCtiError } from '../errors.js';

/** Largest 0-based channel index accepted by the encoders (u16 fields). */
export const MAX_CHANNEL_INDEX0 = 0xfffe;

/** Assign-schedule request (README §4.4). */
export interface AssignScheduleRequest {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** Assign to all channels (then one feedback per channel). Default false. */
  readonly assign_all_channels?: boolean;
  /** Schedule file name, e.g. "Rest+207855.sdx" (≤ 199 UTF-16 code units). */
  readonly schedule: string;
  /** Nominal capacity, Ah (MITS7 only). Default 1.0, as pycti. */
  readonly test_capacity_ah?: number;
  /** Battery barcode (≤ 71 code units). Default "". */
  readonly barcode?: string;
  /** Initial MV_UD1..16 (MITS7 only); missing entries default to 1.0, as pycti. */
  readonly user_variables?: readonly number[];
}

/**
 * Encodes an assign-schedule request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` (index, text length, non-finite floats, > 16 MVs).
 */
export function encodeAssignScheduleRequest(req: AssignScheduleRequest): Buffer {
  const args = Buffer.alloc(671 - 22);
  args.writeInt32LE(checkIndex(req.channel_index0, 'channel_index0', 0, MAX_CHANNEL_INDEX0), 0);
  args.writeUInt8(req.assign_all_channels === true ? 1 : 0, 4);
  writeWideString(args, 5, 200, req.schedule, 'schedule');
  args.writeFloatLE(checkFloat32(req.test_capacity_ah ?? 1.0, 'test_capacity_ah'), 405);
  writeWideString(args, 409, 72, req.barcode ?? '', 'barcode');
  const mvs = req.user_variables ?? [];
  if (mvs.length > 16) throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `user_variables has ${mvs.length} entries, at most 16`, { context: { field: 'user_variables' } });
  for (let k = 0; k < 16; k++) args.writeFloatLE(checkFloat32(mvs[k] ?? 1.0, `user_variables[${k}]`), 553 + 4 * k);
  return encodeFrame('request', CTI_COMMANDS.assignSchedule.request, args);
}

/** Decoded assign request (simulator side). */
export interface DecodedAssignScheduleRequest {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** Assign to all channels. */
  readonly assign_all_channels: boolean;
  /** Schedule file name. */
  readonly schedule: string;
  /** Nominal capacity, Ah. */
  readonly test_capacity_ah: number;
  /** Barcode. */
  readonly barcode: string;
  /** MV_UD1..16 initial values. */
  readonly user_variables: readonly number[];
}

/**
 * Decodes an assign-schedule request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`.
 */
export function decodeAssignScheduleRequest(frame: CtiFrame): DecodedAssignScheduleRequest {
  const b = expectFrame(frame, CTI_COMMANDS.assignSchedule.request, 671, 'assign request');
  return {
    channel_index0: b.readInt32LE(20),
    assign_all_channels: b.readUInt8(24) !== 0,
    schedule: readWideString(b, 25, 200),
    test_capacity_ah: b.readFloatLE(425),
    barcode: readWideString(b, 429, 72),
    user_variables: Array.from({ length: 16 }, (_, k) => b.readFloatLE(573 + 4 * k)),
  };
}

/** Start-schedule request (README §4.5). */
export interface StartScheduleRequest {
  /** Test name, must not be empty (≤ 71 code units). */
  readonly test_name: string;
  /** 0-based channel indexes to start (at least one). */
  readonly channel_indexes0: readonly number[];
}

/**
 * Encodes a start-schedule request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` (empty channel list, index range, name length).
 */
export function encodeStartScheduleRequest(req: StartScheduleRequest): Buffer {
  const n = req.channel_indexes0.length;
  if (n === 0) throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', 'start: channel_indexes0 is empty', { context: { field: 'channel_indexes0' } });
  const args = Buffer.alloc(148 + 2 * n);
  writeWideString(args, 0, 72, req.test_name, 'test_name');
  args.writeUInt32LE(n, 144);
  req.channel_indexes0.forEach((c, i) => args.writeUInt16LE(checkIndex(c, `channel_indexes0[${i}]`, 0, MAX_CHANNEL_INDEX0), 148 + 2 * i));
  return encodeFrame('request', CTI_COMMANDS.startSchedule.request, args);
}

/**
 * Decodes a start-schedule request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`; `BB_ARBIN_TRUNCATED` when N does not fit.
 */
export function decodeStartScheduleRequest(frame: CtiFrame): StartScheduleRequest {
  const b = expectFrame(frame, CTI_COMMANDS.startSchedule.request, 170, 'start request');
  const n = b.readUInt32LE(164);
  expectFrame(frame, CTI_COMMANDS.startSchedule.request, 170 + 2 * n, 'start request channel list');
  return { test_name: readWideString(b, 20, 72), channel_indexes0: Array.from({ length: n }, (_, i) => b.readUInt16LE(168 + 2 * i)) };
}

/** Stop (README §4.6) and resume (README §6.2) requests share one layout. */
export interface ChannelAllRequest {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** Apply to all channels (one feedback per channel). Default false. */
  readonly all_channels?: boolean;
}

function encodeChannelAll(code: number, req: ChannelAllRequest): Buffer {
  const args = Buffer.alloc(128 - 22);
  args.writeUInt32LE(checkIndex(req.channel_index0, 'channel_index0', 0, MAX_CHANNEL_INDEX0), 0);
  args.writeUInt8(req.all_channels === true ? 1 : 0, 4);
  return encodeFrame('request', code, args);
}

function decodeChannelAll(frame: CtiFrame, code: number, what: string): Required<ChannelAllRequest> {
  const b = expectFrame(frame, code, 128, what);
  return { channel_index0: b.readInt32LE(20), all_channels: b.readUInt8(24) !== 0 };
}

/** Encodes a stop-schedule request. @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT`. */
export function encodeStopScheduleRequest(req: ChannelAllRequest): Buffer {
  return encodeChannelAll(CTI_COMMANDS.stopSchedule.request, req);
}
/** Decodes a stop-schedule request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeStopScheduleRequest(frame: CtiFrame): Required<ChannelAllRequest> {
  return decodeChannelAll(frame, CTI_COMMANDS.stopSchedule.request, 'stop request');
}
/** Encodes a resume-schedule request (README §6.2). @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT`. */
export function encodeResumeScheduleRequest(req: ChannelAllRequest): Buffer {
  return encodeChannelAll(CTI_COMMANDS.resumeSchedule.request, req);
}
/** Decodes a resume-schedule request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeResumeScheduleRequest(frame: CtiFrame): Required<ChannelAllRequest> {
  return decodeChannelAll(frame, CTI_COMMANDS.resumeSchedule.request, 'resume request');
}

/** Continue-channel request ([I4.5] layout, README §6.2). */
export interface ContinueChannelRequest {
  /** 0-based channel indexes (at least one). */
  readonly channel_indexes0: readonly number[];
}

/** Encodes a continue request. @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT`. */
export function encodeContinueChannelRequest(req: ContinueChannelRequest): Buffer {
  const n = req.channel_indexes0.length;
  if (n === 0) throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', 'continue: channel_indexes0 is empty', { context: { field: 'channel_indexes0' } });
  const args = Buffer.alloc(4 + 2 * n);
  args.writeUInt32LE(n, 0);
  req.channel_indexes0.forEach((c, i) => args.writeUInt16LE(checkIndex(c, `channel_indexes0[${i}]`, 0, MAX_CHANNEL_INDEX0), 4 + 2 * i));
  return encodeFrame('request', CTI_COMMANDS.continueChannel.request, args);
}

/** Decodes a continue request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeContinueChannelRequest(frame: CtiFrame): ContinueChannelRequest {
  const b = expectFrame(frame, CTI_COMMANDS.continueChannel.request, 26, 'continue request');
  const n = b.readUInt32LE(20);
  expectFrame(frame, CTI_COMMANDS.continueChannel.request, 26 + 2 * n, 'continue request channel list');
  return { channel_indexes0: Array.from({ length: n }, (_, i) => b.readUInt16LE(24 + 2 * i)) };
}

/** Jump-to-step request ([P1.1] THIRD_PARTY_JUMP_CHANNEL, README §6.2). */
export interface JumpToStepRequest {
  /** 0-based channel index. */
  readonly channel_index0: number;
  /** 0-based step index; a step that does not exist stops the test ([P1.1]). */
  readonly step_index0: number;
}

/** Encodes a jump request. @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT`. */
export function encodeJumpToStepRequest(req: JumpToStepRequest): Buffer {
  const args = Buffer.alloc(131 - 22);
  args.writeInt32LE(checkIndex(req.step_index0, 'step_index0', 0, 0x7fffffff), 0);
  args.writeInt32LE(checkIndex(req.channel_index0, 'channel_index0', 0, MAX_CHANNEL_INDEX0), 4);
  return encodeFrame('request', CTI_COMMANDS.jumpToStep.request, args);
}

/** Decodes a jump request. @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`. */
export function decodeJumpToStepRequest(frame: CtiFrame): JumpToStepRequest {
  const b = expectFrame(frame, CTI_COMMANDS.jumpToStep.request, 131, 'jump request');
  return { step_index0: b.readInt32LE(20), channel_index0: b.readInt32LE(24) };
}
