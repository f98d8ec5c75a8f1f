/**
 * Function class 4: channel status and readings.
 *
 * Wire grammar (`params` → `result`; Maccor MacNet reference §6.3-§6.5, §10.2; vendor help p.24-38).
 * `Chan` is 0-based; multi-channel reads take `Len` ≤ 128 channels:
 *
 *   (4,1)  {Chan,Len} → Chan, Len, Status:[{RF1,RF2,Stat}×Len]
 *   (4,2)  {Chan,Len} → Chan, Len, Voltage:[V×Len]
 *   (4,3)  {Chan,Len} → Chan, Len, Current:[A×Len]
 *   (4,4)  {Chan}     → Chan, Len, AuxValues:[×Len]          (units from (4,5))
 *   (4,6)  {Chan}     → Chan, TestName, ProcName[, Comment, ProcDesc]
 *   (4,7)  {Chan}     → Chan, RF1, RF2, Stat, LastRecNum, Cycle, Step, TestTime s, StepTime s,
 *                       Capacity Ah, Energy Wh, Current A, Voltage V, TesterTime (ISO 8601, no zone)
 *   (4,8)  {Chan}     → Chan, GlobFlags "0x…", VARs:[15 numbers]
 *   (4,9)  {Chan,Len} → Chan, Len, TestTimes:[s×Len]
 *   (4,10) {Chan}     → Chan, NumOfEnds, EndNum (0 if not complete)
 * Pure.
 */
import { checkLength, int, num, numArray, objArray, str } from './fields.js';
import type { MacnetObject } from './fields.js';
import type { MacnetParams } from './envelope.js';
import { index0ToChannel } from './channels.js';
import { rf1Name, rf2Name, statName } from './tables.js';
import { MaccorError } from '../errors.js';

/** Stat, RF1, RF2 of one channel with decoded names (reference §7). */
export interface ChannelStatus {
  /** 1-based channel. */
  readonly channel: number;
  readonly stat: number;
  readonly stat_name: string;
  readonly rf1: number;
  readonly rf1_name: string;
  readonly rf2: number;
  readonly rf2_name: string;
}

/** One (4,7) reading, SI-named (reference §6.4). */
export interface ChannelReading extends ChannelStatus {
  /** 0-based wire channel. */
  readonly channelIndex0: number;
  readonly voltage_v: number;
  /** Current in A as the tester reports it; sign on discharge unverified (reference §6.4 [?]). */
  readonly current_a: number;
  readonly capacity_ah: number;
  readonly energy_wh: number;
  readonly test_time_s: number;
  readonly step_time_s: number;
  readonly cycle: number;
  readonly step: number;
  /** LastRecNum: number of the last data record; a change means a new data point. */
  readonly record_number: number;
  /** The tester PC's clock, ISO 8601 without zone, whole seconds (reference §4). */
  readonly tester_time: string;
}

function statusOf(channel: number, o: MacnetObject, w: string): ChannelStatus {
  const stat = int(o, 'Stat', w);
  const rf1 = int(o, 'RF1', w);
  const rf2 = int(o, 'RF2', w);
  return { channel, stat, stat_name: statName(stat), rf1, rf1_name: rf1Name(rf1), rf2, rf2_name: rf2Name(rf2) };
}

/** A multi-channel read request (4,1)/(4,2)/(4,3)/(4,9). `chanIndex0` 0-based, `len` ≤ 128. */
export function encodeMultiChannelRequest(fnum: 1 | 2 | 3 | 9, chanIndex0: number, len: number): MacnetParams {
  return { FClass: 4, FNum: fnum, Chan: chanIndex0, Len: len };
}

/** A single-channel class-4 request (4,4), (4,5), (4,6), (4,7), (4,8), (4,10). */
export function encodeChannelRequest(fnum: 4 | 5 | 6 | 7 | 8 | 10, chanIndex0: number): MacnetParams {
  return { FClass: 4, FNum: fnum, Chan: chanIndex0 };
}

/** Decodes (4,1) into one {@link ChannelStatus} per channel. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeMultiStatus(r: MacnetObject): ChannelStatus[] {
  const w = '(4,1) status';
  const chan = int(r, 'Chan', w);
  const len = int(r, 'Len', w);
  const entries = objArray(r, 'Status', w);
  checkLength(entries, len, 'Status', w);
  return entries.map((e, i) => statusOf(index0ToChannel(chan + i), e, w));
}

/** One value per channel from (4,2), (4,3) or (4,9). */
export interface ChannelValue {
  /** 1-based channel. */
  readonly channel: number;
  readonly value: number;
}

const MULTI_KEYS = { 2: 'Voltage', 3: 'Current', 9: 'TestTimes' } as const;

/**
 * Decodes (4,2) voltages (V), (4,3) currents (A) or (4,9) test times (s).
 * @throws MaccorError BB_MACCOR_REPLY_MALFORMED
 */
export function decodeMultiValues(fnum: 2 | 3 | 9, r: MacnetObject): ChannelValue[] {
  const key = MULTI_KEYS[fnum];
  const w = `(4,${fnum}) ${key}`;
  const chan = int(r, 'Chan', w);
  const len = int(r, 'Len', w);
  const values = numArray(r, key, w);
  checkLength(values, len, key, w);
  return values.map((value, i) => ({ channel: index0ToChannel(chan + i), value }));
}

/** Decodes (4,4) aux values (units from (4,5)). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeAuxValues(r: MacnetObject): number[] {
  const w = '(4,4) aux values';
  const values = numArray(r, 'AuxValues', w);
  if (r['Len'] !== undefined) checkLength(values, int(r, 'Len', w), 'AuxValues', w);
  return values;
}

/** (4,6) test metadata of a channel (reference §10.2). Names are trimmed of binary space padding. */
export interface TestInfo {
  readonly channel: number;
  readonly testName: string;
  readonly procName: string;
  readonly comment: string | undefined;
  readonly procDesc: string | undefined;
}

/** Decodes (4,6). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeTestInfo(r: MacnetObject): TestInfo {
  const w = '(4,6) test info';
  const opt = (k: string): string | undefined => (r[k] === undefined ? undefined : str(r, k, w).trimEnd());
  return {
    channel: index0ToChannel(int(r, 'Chan', w)),
    testName: str(r, 'TestName', w).trimEnd(),
    procName: str(r, 'ProcName', w).trimEnd(),
    comment: opt('Comment'),
    procDesc: opt('ProcDesc'),
  };
}

/** Decodes (4,7) into a {@link ChannelReading}. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeChannelReading(r: MacnetObject): ChannelReading {
  const w = '(4,7) channel reading';
  const channelIndex0 = int(r, 'Chan', w);
  return {
    ...statusOf(index0ToChannel(channelIndex0), r, w),
    channelIndex0,
    voltage_v: num(r, 'Voltage', w),
    current_a: num(r, 'Current', w),
    capacity_ah: num(r, 'Capacity', w),
    energy_wh: num(r, 'Energy', w),
    test_time_s: num(r, 'TestTime', w),
    step_time_s: num(r, 'StepTime', w),
    cycle: int(r, 'Cycle', w),
    step: int(r, 'Step', w),
    record_number: int(r, 'LastRecNum', w),
    tester_time: str(r, 'TesterTime', w),
  };
}

/** (4,8) global flags and VAR1..VAR15 (reference §10.2). */
export interface GlobalFlagsAndVars {
  readonly channel: number;
  /** GlobFlags parsed from its hex string. */
  readonly globalFlags: number;
  /** VAR1..VAR15; `vars[0]` is VAR1. */
  readonly vars: number[];
}

/** Decodes (4,8). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeGlobalFlagsAndVars(r: MacnetObject): GlobalFlagsAndVars {
  const w = '(4,8) global flags and VARs';
  const hex = str(r, 'GlobFlags', w);
  const flags = /^0x[0-9a-f]{1,8}$/i.test(hex) ? Number.parseInt(hex.slice(2), 16) : Number.NaN;
  if (Number.isNaN(flags)) {
    throw new MaccorError('BB_MACCOR_REPLY_MALFORMED', `${w}: field GlobFlags should be a hex string like "0x00000020", got ${JSON.stringify(hex)}`, {
      context: { field: 'GlobFlags', actual: hex },
    });
  }
  return { channel: index0ToChannel(int(r, 'Chan', w)), globalFlags: flags, vars: numArray(r, 'VARs', w) };
}

/** (4,10) end status: which end step was reached (0 if not complete). */
export interface EndStatus {
  readonly channel: number;
  readonly numOfEnds: number;
  readonly endNum: number;
}

/** Decodes (4,10). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeEndStatus(r: MacnetObject): EndStatus {
  const w = '(4,10) end status';
  return { channel: index0ToChannel(int(r, 'Chan', w)), numOfEnds: int(r, 'NumOfEnds', w), endNum: int(r, 'EndNum', w) };
}
