/**
 * Direct control: (6,7) start direct mode and (6,8) set direct output, JSON form.
 *
 * Wire grammar (`params` → `result`; Maccor MacNet reference §6.9, §6.10, §8; vendor help p.46-49):
 *
 *   (6,7) {Chan,TestName,Current A,Voltage V,Power W,Resistance Ω,CurrentRange 1..4,ChMode "C"|"D"|"R",
 *          DataTime s,DataV V,DataI A}                                     → Chan, Result
 *   (6,8) {Chan,Current A,Voltage V,Power W,Resistance Ω,CurrentRange 1..4,ChMode "C"|"D"|"R"} → Chan, Result
 *
 * Set-points are mutually limiting; one is disabled by an out-of-range value (here 65536, as pymacnet
 * sends for power) and resistance by 0. At most three of the four may be active, and a set-point
 * used in (6,8) must be active in (6,7) (reference §8.3). Current is a magnitude; the direction is
 * ChMode. Pure.
 */
import { MaccorError } from '../errors.js';
import type { MacnetParams } from './envelope.js';

/** Value that disables current, voltage or power (out of any channel's range; reference §6.10). */
export const DISABLED_SETPOINT = 65536;

/** Direct-mode output mode: charge "C", discharge "D", rest "R" (binary 67, 68, 82). */
export type DirectMode = 'charge' | 'discharge' | 'rest';

/** ChMode letter of each {@link DirectMode}. */
export const CH_MODE_LETTER: Readonly<Record<DirectMode, 'C' | 'D' | 'R'>> = { charge: 'C', discharge: 'D', rest: 'R' };

/**
 * One direct-mode set-point. An omitted current/voltage/power/resistance is disabled.
 * For charge, `voltage_v` is the CV ceiling; for discharge, the floor.
 */
export interface DirectSetpoint {
  readonly mode: DirectMode;
  /** Current magnitude, A (≥ 0); the direction is `mode`. */
  readonly current_a?: number;
  readonly voltage_v?: number;
  readonly power_w?: number;
  /** Ω; 0 or omitted disables it. */
  readonly resistance_ohm?: number;
  /** 1..4; chosen from the current magnitude when omitted ({@link chooseCurrentRange}). */
  readonly current_range?: 1 | 2 | 3 | 4;
}

/**
 * Current range for a magnitude, from pymacnet's thresholds, which match the vendor's (3,1) example
 * (IR1 150 µA, IR2 5 mA, IR3 150 mA, IR4 5 A; reference §6.10). 0 A → range 4.
 */
export function chooseCurrentRange(current_a: number): 1 | 2 | 3 | 4 {
  const m = Math.abs(current_a);
  if (m === 0) return 4;
  if (m < 150e-6) return 1;
  if (m < 5e-3) return 2;
  if (m < 0.15) return 3;
  return 4;
}

function invalid(msg: string, field: string): MaccorError {
  return new MaccorError('BB_MACCOR_INVALID_ARGUMENT', msg, { context: { field } });
}

/**
 * The six output fields shared by (6,7) and (6,8), validated.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT for negative or non-finite values, more than three
 *   active set-points, or an invalid current range.
 */
export function directOutputFields(sp: DirectSetpoint): { Current: number; Voltage: number; Power: number; Resistance: number; CurrentRange: number; ChMode: 'C' | 'D' | 'R' } {
  if (!(sp.mode in CH_MODE_LETTER)) throw invalid(`mode must be charge, discharge or rest, got ${String(sp.mode)}`, 'mode');
  for (const k of ['current_a', 'voltage_v', 'power_w', 'resistance_ohm'] as const) {
    const v = sp[k];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw invalid(`${k} must be a finite magnitude ≥ 0, got ${v}`, k);
  }
  if (sp.mode === 'rest') {
    return { Current: 0, Voltage: 0, Power: DISABLED_SETPOINT, Resistance: 0, CurrentRange: sp.current_range ?? 4, ChMode: 'R' };
  }
  const active = [sp.current_a, sp.voltage_v, sp.power_w].filter((v) => v !== undefined).length + (sp.resistance_ohm ? 1 : 0);
  if (active > 3) throw invalid('only three of current, voltage, power and resistance can be active at once (vendor help p.47)', 'setpoint');
  if (active === 0) throw invalid('a charge or discharge set-point needs at least one active value', 'setpoint');
  const range = sp.current_range ?? chooseCurrentRange(sp.current_a ?? 0);
  if (![1, 2, 3, 4].includes(range)) throw invalid(`current_range must be 1..4, got ${range}`, 'current_range');
  return {
    Current: sp.current_a ?? DISABLED_SETPOINT,
    Voltage: sp.voltage_v ?? DISABLED_SETPOINT,
    Power: sp.power_w ?? DISABLED_SETPOINT,
    Resistance: sp.resistance_ohm ?? 0,
    CurrentRange: range,
    ChMode: CH_MODE_LETTER[sp.mode],
  };
}

/** Data-record triggers of (6,7), 0 disables each (reference §6.9). */
export interface DataRecordOptions {
  /** Seconds between data records. */
  readonly interval_s?: number;
  /** Voltage change, V, that triggers a record. */
  readonly voltage_delta_v?: number;
  /** Current change, A, that triggers a record. */
  readonly current_delta_a?: number;
}

/**
 * (6,7) start direct mode on `chanIndex0` (0-based) with test name `testName` ("Random" lets the
 * tester pick) and initial set-point `sp`.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT (see {@link directOutputFields}).
 */
export function encodeStartDirectMode(chanIndex0: number, testName: string, sp: DirectSetpoint, data: DataRecordOptions = {}): MacnetParams {
  return {
    FClass: 6,
    FNum: 7,
    Chan: chanIndex0,
    TestName: testName,
    ...directOutputFields(sp),
    DataTime: data.interval_s ?? 1,
    DataV: data.voltage_delta_v ?? 0,
    DataI: data.current_delta_a ?? 0,
  };
}

/** (6,8) set direct output on `chanIndex0` (0-based). @throws MaccorError BB_MACCOR_INVALID_ARGUMENT */
export function encodeSetDirectOutput(chanIndex0: number, sp: DirectSetpoint): MacnetParams {
  return { FClass: 6, FNum: 8, Chan: chanIndex0, ...directOutputFields(sp) };
}
