/**
 * A simulated cell running a BaSyTec-style test plan (reference §3.5 commands Pause, Charge,
 * Discharge), sampled at a fixed rate. Deterministic: the same plan and options always give the
 * same rows, so tests can compare what the simulator wrote with what a source read.
 *
 * Row semantics follow the reference: `State` 3 on the first row of a step, 0 on the second, 1
 * while running, 2 on the last (§3.4); current positive while charging (§3.3); `Ah[Ah]` signed
 * throughput since test start; `Ah-Step` within the step.
 */

/** One test-plan line. `Charge`/`Discharge` at constant current until a voltage limit or a duration. */
export interface PlanStep {
  readonly command: 'Pause' | 'Charge' | 'Discharge';
  /** Magnitude of the current, A (ignored for Pause). */
  readonly current_a?: number;
  /** Duration limit, s. */
  readonly duration_s: number;
  /** Voltage limit, V (Charge: stop at ≥, Discharge: stop at ≤). */
  readonly voltage_limit_v?: number;
}

/** A simulated test: plan and cell. */
export interface SimTest {
  /** Steps, run in order; `Line` numbers start at 2 (line 1 is the plan header in BaSyTec plans [INFERRED]). */
  readonly plan: readonly PlanStep[];
  /** Repeat the whole plan this many times (cycles). @default 1 */
  readonly cycles?: number;
  /** Sampling period, s. @default 1 */
  readonly sample_s?: number;
  /** Cell capacity, Ah. @default 2 */
  readonly capacity_ah?: number;
  /** Initial state of charge 0..1. @default 0.5 */
  readonly soc?: number;
  /** Internal resistance, Ω. @default 0.02 */
  readonly resistance_ohm?: number;
}

/** One simulated data set, in the units of the Resultfile columns (s, V, A, W, Ah, Wh, °C, Ω). */
export interface SimRow {
  readonly dataSet: number;
  readonly elapsed_s: number;
  readonly step_s: number;
  readonly line: number;
  readonly command: string;
  readonly state: number;
  readonly voltage_v: number;
  readonly current_a: number;
  readonly power_w: number;
  readonly charge_ah: number;
  readonly step_ah: number;
  readonly energy_wh: number;
  readonly temperature_c: number;
  readonly resistance_dc_ohm: number;
  readonly cycle: number;
}

/** A small default plan: rest, 1 A charge to 4.2 V, rest, 1 A discharge to 2.8 V. */
export const DEFAULT_PLAN: readonly PlanStep[] = [
  { command: 'Pause', duration_s: 60 },
  { command: 'Charge', current_a: 1, duration_s: 600, voltage_limit_v: 4.2 },
  { command: 'Pause', duration_s: 60 },
  { command: 'Discharge', current_a: 1, duration_s: 600, voltage_limit_v: 2.8 },
];

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Open-circuit voltage of the simulated cell at state of charge `soc` (0..1), V. */
export function ocv(soc: number): number {
  return 3.0 + 1.2 * soc + 0.05 * Math.sin(soc * Math.PI * 3);
}

/**
 * Generates the rows of a test, lazily (a generator: a 150 MB export never sits in memory).
 * @param t - the test; `cycles` may be `Infinity` for an endless run.
 */
export function* simulateRows(t: SimTest): Generator<SimRow> {
  const dt = t.sample_s ?? 1;
  const cap = t.capacity_ah ?? 2;
  const r = t.resistance_ohm ?? 0.02;
  let soc = t.soc ?? 0.5;
  let ah = 0;
  let wh = 0;
  let elapsed = 0;
  let dataSet = 0;
  const cycles = t.cycles ?? 1;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    for (const [i, step] of t.plan.entries()) {
      const sign = step.command === 'Charge' ? 1 : step.command === 'Discharge' ? -1 : 0;
      const current = sign * (step.current_a ?? 0);
      let stepS = 0;
      let stepAh = 0;
      let n = 0;
      for (;;) {
        const v = ocv(soc) + current * r;
        const limitHit = step.voltage_limit_v !== undefined && ((sign > 0 && v >= step.voltage_limit_v) || (sign < 0 && v <= step.voltage_limit_v));
        const last = stepS + dt > step.duration_s || limitHit || (sign !== 0 && (soc <= 0.001 || soc >= 0.999));
        const state = n === 0 ? 3 : n === 1 ? 0 : last ? 2 : 1;
        dataSet++;
        yield {
          dataSet,
          elapsed_s: round(elapsed, 3),
          step_s: round(stepS, 3),
          line: i + 2,
          command: step.command,
          state,
          voltage_v: round(v, 5),
          current_a: round(current, 5),
          power_w: round(v * current, 5),
          charge_ah: round(ah, 7),
          step_ah: round(stepAh, 7),
          energy_wh: round(wh, 7),
          temperature_c: round(25 + 2 * Math.abs(current) * (1 - Math.exp(-stepS / 300)), 3),
          resistance_dc_ohm: sign === 0 || n === 0 ? 0 : r,
          cycle,
        };
        if (last) break;
        const dAh = (current * dt) / 3600;
        ah += dAh;
        stepAh += dAh;
        wh += dAh * v;
        soc = Math.min(1, Math.max(0, soc + dAh / cap));
        elapsed += dt;
        stepS += dt;
        n++;
      }
    }
  }
}
