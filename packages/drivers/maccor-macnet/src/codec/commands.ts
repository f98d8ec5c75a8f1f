/**
 * Function class 6 channel commands (procedure tests, variables, safety limits).
 *
 * Wire grammar (`params` → `result`; Maccor MacNet reference §6.6-§6.8, §6.11, §10.2; vendor help p.40-51).
 * `Chan` is 0-based:
 *
 *   (6,2)  {Chan,TestName,ProcName,Comment,Crate,ChamberNum,StartCycle,TotCycles,Mass,VGain,AbsTRepAlign,
 *           ParallelR,VDivHiR,VDivLoR,CANpos,CANprof,RegimeName}                   → Chan, Result
 *   (6,3)  {Chan} suspend  → Chan, Result          (6,4) {Chan} resume → Chan, Result
 *   (6,5)  {Chan} reset    → Chan, Result
 *   (6,9)  {Chan,VarNum 1..15,Value}                                                → Chan, Result
 *   (6,10) {Chan,VSafeMax V,VSafeMin V,ISafeChg A,ISafeDis A,PBatSafeChg W,PBatSafeDis W}
 *                                         → Chan and the six limits as stored (single precision), no Result
 *   (6,11) {Chan,TestName,ProcName,Comment,Crate,ChamberNum}                        → Chan, Result
 *
 *   Result = "OK" | text | binary code (tables in ./tables.ts)
 * Pure.
 */
import { MaccorCommandRejectedError, MaccorError } from '../errors.js';
import type { MacnetObject } from './fields.js';
import { num } from './fields.js';
import type { MacnetParams } from './envelope.js';
import { index0ToChannel } from './channels.js';

/**
 * Checks a command reply's `Result`: `"OK"` passes; anything else (text or number) throws with the
 * raw value and, for numbers, the meaning from `table` (reference §4).
 * @throws MaccorCommandRejectedError BB_MACCOR_COMMAND_REJECTED; MaccorError BB_MACCOR_REPLY_MALFORMED when Result is absent.
 */
export function decodeCommandResult(fclass: number, fnum: number, r: MacnetObject, table: Readonly<Record<number, string>> = {}): void {
  const result = r['Result'];
  if (result === 'OK' || result === 0) return;
  const ctx = typeof r['Chan'] === 'number' ? { channel: index0ToChannel(r['Chan']) } : {};
  if (typeof result === 'number') throw new MaccorCommandRejectedError(fclass, fnum, result, table[result] ?? `undocumented result code ${result}`, ctx);
  if (typeof result === 'string') {
    const asNumber = /^\d+$/.test(result) ? Number(result) : undefined;
    const meaning = asNumber !== undefined ? (table[asNumber] ?? result) : result;
    throw new MaccorCommandRejectedError(fclass, fnum, result, meaning, ctx);
  }
  throw new MaccorError('BB_MACCOR_REPLY_MALFORMED', `(${fclass},${fnum}): reply has no Result`, { context: { fclass, fnum } });
}

/** Arguments of (6,2) start test with a procedure (reference §6.7). */
export interface StartTestFields {
  /** Data file name, ≤ 250 characters in JSON; `"Random"` lets the tester generate one. Must be unique. */
  readonly testName: string;
  /** Procedure name without `.000`. */
  readonly procName: string;
  /** ≤ 80 characters. */
  readonly comment: string;
  /** C-rate capacity in Ah that C-based steps refer to ("Crate"; 1 if unused). */
  readonly crate: number;
  /** Environmental chamber number, 0 for none. */
  readonly chamberNum?: number;
  readonly startCycle?: number;
  readonly totCycles?: number;
  readonly mass?: number;
}

/** (6,2) start test. `chanIndex0` 0-based. Defaults as pymacnet sends them (reference §6.7). */
export function encodeStartTest(chanIndex0: number, f: StartTestFields): MacnetParams {
  return {
    FClass: 6,
    FNum: 2,
    Chan: chanIndex0,
    TestName: f.testName,
    ProcName: f.procName,
    Comment: f.comment,
    Crate: f.crate,
    ChamberNum: f.chamberNum ?? 0,
    StartCycle: f.startCycle ?? 0,
    TotCycles: f.totCycles ?? 0,
    Mass: f.mass ?? 1,
    VGain: 0,
    AbsTRepAlign: 0,
    ParallelR: 0,
    VDivHiR: 0,
    VDivLoR: 0,
    CANpos: -1,
    CANprof: '',
    RegimeName: '',
  };
}

/** (6,11) check test start: the type-1 start fields (reference §10.2). */
export function encodeCheckTestStart(chanIndex0: number, f: StartTestFields): MacnetParams {
  return { FClass: 6, FNum: 11, Chan: chanIndex0, TestName: f.testName, ProcName: f.procName, Comment: f.comment, Crate: f.crate, ChamberNum: f.chamberNum ?? 0 };
}

/** (6,3) suspend, (6,4) resume, (6,5) reset, (6,6) archive: `{Chan}` only. */
export function encodeChannelCommand(fnum: 3 | 4 | 5 | 6, chanIndex0: number): MacnetParams {
  return { FClass: 6, FNum: fnum, Chan: chanIndex0 };
}

/**
 * (6,9) set VAR `varNum` (1..15, vendor p.49) to `value`.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT for a VarNum outside 1..15 or a non-finite value.
 */
export function encodeSetVariable(chanIndex0: number, varNum: number, value: number): MacnetParams {
  if (!Number.isInteger(varNum) || varNum < 1 || varNum > 15) {
    throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `VarNum must be 1..15 (vendor help p.49), got ${varNum}`, { context: { varNum } });
  }
  if (!Number.isFinite(value)) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `VAR${varNum} value must be finite, got ${value}`, { context: { varNum } });
  return { FClass: 6, FNum: 9, Chan: chanIndex0, VarNum: varNum, Value: value };
}

/** Channel safety limits of (6,10), SI units (reference §6.6). Current limits are positive magnitudes. */
export interface SafetyLimits {
  readonly max_voltage_v: number;
  readonly min_voltage_v: number;
  readonly max_charge_current_a: number;
  readonly max_discharge_current_a: number;
  readonly max_charge_power_w: number;
  readonly max_discharge_power_w: number;
}

/**
 * (6,10) set safety limits.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when a limit is not finite, a current/power is
 *   negative or min_voltage_v ≥ max_voltage_v (a bad safety limit is never defaulted).
 */
export function encodeSetSafetyLimits(chanIndex0: number, l: SafetyLimits): MacnetParams {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `safety limit ${k} must be a finite number, got ${String(v)}`, { context: { field: k } });
  }
  for (const k of ['max_charge_current_a', 'max_discharge_current_a', 'max_charge_power_w', 'max_discharge_power_w'] as const) {
    if (l[k] < 0) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `safety limit ${k} is a magnitude and must be ≥ 0, got ${l[k]}`, { context: { field: k } });
  }
  if (l.min_voltage_v >= l.max_voltage_v) {
    throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `safety limit min_voltage_v ${l.min_voltage_v} must be below max_voltage_v ${l.max_voltage_v}`, { context: { field: 'min_voltage_v' } });
  }
  return {
    FClass: 6,
    FNum: 10,
    Chan: chanIndex0,
    VSafeMax: l.max_voltage_v,
    VSafeMin: l.min_voltage_v,
    ISafeChg: l.max_charge_current_a,
    ISafeDis: l.max_discharge_current_a,
    PBatSafeChg: l.max_charge_power_w,
    PBatSafeDis: l.max_discharge_power_w,
  };
}

/** Decodes the (6,10) echo: the limits as the tester stored them. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeSafetyLimits(r: MacnetObject): SafetyLimits {
  const w = '(6,10) safety limits';
  return {
    max_voltage_v: num(r, 'VSafeMax', w),
    min_voltage_v: num(r, 'VSafeMin', w),
    max_charge_current_a: num(r, 'ISafeChg', w),
    max_discharge_current_a: num(r, 'ISafeDis', w),
    max_charge_power_w: num(r, 'PBatSafeChg', w),
    max_discharge_power_w: num(r, 'PBatSafeDis', w),
  };
}

/** Default echo tolerance: 0.001 absolute, as pymacnet (reference §6.6), widened for float32 of large values. */
export const SAFETY_ECHO_TOLERANCE = 0.001;

/**
 * Compares sent limits with the (6,10) echo; returns the first differing field or `undefined`.
 * A value matches when |sent − echoed| ≤ max(tolerance, |sent|·1e-6) (float32 rounding, reference §4).
 */
export function compareSafetyEcho(sent: SafetyLimits, echoed: SafetyLimits, tolerance = SAFETY_ECHO_TOLERANCE): { field: keyof SafetyLimits; sent: number; echoed: number } | undefined {
  for (const k of Object.keys(sent) as (keyof SafetyLimits)[]) {
    const a = sent[k];
    const b = echoed[k];
    if (Math.abs(a - b) > Math.max(tolerance, Math.abs(a) * 1e-6)) return { field: k, sent: a, echoed: b };
  }
  return undefined;
}
