/**
 * The simulated tester's channel model: a cell (linear OCV, series resistance) driven by a simple
 * procedure runner or by direct-mode set-points, with the tester rules of Maccor MacNet reference
 * §6.7-§6.10 and §8 (availability, safety trips, 100 ms (6,8) spacing, direct-mode readiness and the
 * `MacNetDirectModeWD` watchdog). Time is passed in (ms); no I/O.
 */
import type { SafetyLimits } from '../codec/commands.js';

/** Direct-mode set-point as the tester holds it (wire values: 65536 = disabled, resistance 0 = off). */
export interface SimDirectState {
  current_a: number;
  voltage_v: number;
  power_w: number;
  mode: 'C' | 'D' | 'R';
  /** Set-points active (in range) in (6,7); only these work in (6,8) (reference §8.3). */
  active: { current: boolean; voltage: boolean; power: boolean };
  readyAtMs: number;
  lastSetMs: number;
  dataTime_s: number;
}

/** State of one simulated channel (1-based `channel`). */
export interface SimChannel {
  readonly channel: number;
  stat: number;
  rf1: number;
  rf2: number;
  step: number;
  cycle: number;
  lastRecNum: number;
  testTime_s: number;
  stepTime_s: number;
  capacity_ah: number;
  energy_wh: number;
  /** Signed: positive charging, negative discharging [?: sign on real testers unverified, reference §6.4]. */
  current_a: number;
  voltage_v: number;
  soc: number;
  testName: string;
  procName: string;
  crate_ah: number;
  mode: 'idle' | 'procedure' | 'direct';
  vars: number[];
  safety: SafetyLimits | undefined;
  direct: SimDirectState | undefined;
  recordTimer_s: number;
  endNum: number;
}

/** Cell parameters of the simulated battery. */
export const SIM_CELL = { capacity_ah: 2.5, resistance_ohm: 0.05, ocvEmpty_v: 3.0, ocvFull_v: 4.2 } as const;

/** Channel ranges: set-points outside them are "disabled" (reference §8.3). */
export const SIM_CHANNEL_RANGE = { max_current_a: 10, max_voltage_v: 10, max_power_w: 100 } as const;

/** Open-circuit voltage at state of charge `soc` (0..1). */
export function ocv(soc: number): number {
  return SIM_CELL.ocvEmpty_v + (SIM_CELL.ocvFull_v - SIM_CELL.ocvEmpty_v) * Math.min(1, Math.max(0, soc)) * 1.05 - 0.05;
}

/** A fresh, available channel. */
export function newChannel(channel: number, soc = 0.5): SimChannel {
  const c: SimChannel = {
    channel, stat: 0, rf1: 0, rf2: 0, step: 0, cycle: 0, lastRecNum: 0, testTime_s: 0, stepTime_s: 0, capacity_ah: 0, energy_wh: 0,
    current_a: 0, voltage_v: 0, soc, testName: '', procName: '', crate_ah: 1, mode: 'idle', vars: new Array<number>(15).fill(0),
    safety: undefined, direct: undefined, recordTimer_s: 0, endNum: 0,
  };
  c.voltage_v = ocv(soc);
  return c;
}

function setRunning(c: SimChannel, rf1: number): void {
  c.stat = 2;
  c.rf1 = rf1;
}

/** Ends a test: Completed with RF2 `rf2` (193 normal end) or Problem for safety codes. */
export function endTest(c: SimChannel, rf2: number, problem: boolean): void {
  c.stat = problem ? 5 : 4;
  c.rf1 = problem ? 29 : 31;
  c.rf2 = rf2;
  c.current_a = 0;
  c.voltage_v = ocv(c.soc);
  c.mode = 'idle';
  c.direct = undefined;
}

/** Current the channel drives for a CC/CV/CP target, A (signed). */
function drive(c: SimChannel, dir: 1 | -1, iSet: number | undefined, vLim: number | undefined, pLim: number | undefined): number {
  const v0 = ocv(c.soc);
  let i = iSet ?? Number.POSITIVE_INFINITY;
  if (vLim !== undefined) i = Math.min(i, Math.max(0, (dir === 1 ? vLim - v0 : v0 - vLim) / SIM_CELL.resistance_ohm));
  if (pLim !== undefined) i = Math.min(i, pLim / Math.max(v0, 0.1));
  if (!Number.isFinite(i)) i = 0;
  return dir * i;
}

/** The built-in procedure: 1 CC-CV charge at 0.5 C to 4.2 V until C/20, 2 rest 10 s, 3 discharge 0.5 C to 3.0 V, then end. */
function procedureCurrent(c: SimChannel): number {
  const i = 0.5 * c.crate_ah;
  switch (c.step) {
    case 1: {
      const a = drive(c, 1, i, 4.2, undefined);
      if (c.stepTime_s > 1 && a < c.crate_ah / 20) nextStep(c, 2);
      return a;
    }
    case 2:
      if (c.stepTime_s >= 10) nextStep(c, 3);
      return 0;
    case 3: {
      const a = drive(c, -1, i, 3.0, undefined);
      if (c.stepTime_s > 1 && -a < c.crate_ah / 20) {
        c.endNum = 1;
        endTest(c, 193, false);
      }
      return a;
    }
    default:
      return 0;
  }
}

function nextStep(c: SimChannel, step: number): void {
  c.step = step;
  c.stepTime_s = 0;
  c.rf2 = 0;
  c.lastRecNum++;
}

/**
 * Advances `c` by `dt_s` seconds (call in slices ≤ 1 s). Applies the tester watchdog
 * (`watchdog_s` > 0 suspends a direct channel with no (6,8) in time) and the (6,10) safety limits.
 */
export function advance(c: SimChannel, dt_s: number, nowMs: number, watchdog_s: number): void {
  if (c.stat !== 2) return;
  if (c.mode === 'direct' && c.direct && watchdog_s > 0 && nowMs - c.direct.lastSetMs > watchdog_s * 1000) {
    c.stat = 3;
    c.rf1 = 30;
    c.rf2 = 192;
    c.current_a = 0;
    c.voltage_v = ocv(c.soc);
    return;
  }
  if (dt_s <= 0) return;
  let i = 0;
  if (c.mode === 'procedure') {
    i = procedureCurrent(c);
    if (c.stat !== 2) return;
    setRunning(c, c.step === 1 ? 1 : c.step === 3 ? 2 : 4);
  } else if (c.mode === 'direct' && c.direct) {
    const d = c.direct;
    const iSet = d.active.current ? d.current_a : undefined;
    const vLim = d.active.voltage ? d.voltage_v : undefined;
    const pLim = d.active.power ? d.power_w : undefined;
    i = d.mode === 'R' ? 0 : drive(c, d.mode === 'C' ? 1 : -1, iSet, vLim, pLim);
    setRunning(c, d.mode === 'C' ? 1 : d.mode === 'D' ? 2 : 4);
  }
  c.soc = Math.min(1.05, Math.max(-0.05, c.soc + (i * dt_s) / 3600 / SIM_CELL.capacity_ah));
  c.current_a = i;
  c.voltage_v = ocv(c.soc) + i * SIM_CELL.resistance_ohm;
  c.capacity_ah += (Math.abs(i) * dt_s) / 3600;
  c.energy_wh += (Math.abs(i) * c.voltage_v * dt_s) / 3600;
  c.testTime_s += dt_s;
  c.stepTime_s += dt_s;
  c.recordTimer_s += dt_s;
  const every = c.mode === 'direct' ? (c.direct?.dataTime_s ?? 1) : 1;
  if (every > 0 && c.recordTimer_s >= every) {
    c.recordTimer_s = 0;
    c.lastRecNum++;
  }
  const s = c.safety;
  if (s) {
    if (c.voltage_v > s.max_voltage_v + 1e-3 || c.voltage_v < s.min_voltage_v - 1e-3) endTest(c, 197, true);
    else if ((i > 0 && i > s.max_charge_current_a + 1e-3) || (i < 0 && -i > s.max_discharge_current_a + 1e-3)) endTest(c, 196, true);
  }
}
