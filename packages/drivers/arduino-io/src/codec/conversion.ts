/**
 * Engineering values from the sketch's raw ADC counts: thermistor temperatures from a configured
 * table, pressure from a configured linear scale.
 *
 * Thermistor chain (safety-rig reference §5, "Conversions on the Pi"): the thermistor is the low side
 * of a divider with a series resistor (2.2 kΩ on the rig) from the ADC reference, so
 *
 *   V = counts / fullScaleCounts × Vref,   R = Rseries × V / (Vref − V) = Rseries × counts / (fullScaleCounts − counts)
 *
 * (Vref cancels; the original uses fullScaleCounts = 1024). The table maps resistance to temperature
 * and is interpolated piecewise-linearly in resistance; the table may also be given in ADC counts
 * directly. The original applied the interpolation weights to the wrong end of each segment (defect
 * D6): at 25 % of the way from row i to row i+1 it returned the temperature 75 % of the way. Here
 *
 *   T = T_i + (x − x_i) / (x_{i+1} − x_i) × (T_{i+1} − T_i)
 *
 * so each row is hit exactly and the result is monotonic between rows.
 *
 * Outside the table (or counts 0 / ≥ fullScale, a shorted or open divider): the value is CLAMPED to
 * the nearest table edge and FLAGGED with `status` `above_range` (hotter than the table) or
 * `below_range` (colder). The original returned 140 below and −1 above its table, silently. A flagged
 * value is a sensor fault to act on, not a temperature.
 *
 * Pressure (reference §5): linear from `zeroVoltageV` → 0 to `fullScaleVoltageV` → `fullScalePa`;
 * outside that band the value is clamped and flagged the same way (the original clamped silently;
 * below 0.5 V usually means a broken wire). The original's unit is not stated (reference §10): the
 * configuration states full scale in pascals.
 *
 * Pure: no I/O, no timers.
 */
import type { RawReading } from './reading-line.js';

/** Whether a converted value is inside the configured range, or clamped to its edge. */
export type RangeStatus = 'ok' | 'below_range' | 'above_range';

/** A converted value with its range status (see the module docs for clamping). */
export interface ConvertedValue {
  /** Engineering value (°C or Pa); the nearest edge when `status` is not `ok`. */
  readonly value: number;
  /** `ok`, or which edge the input fell beyond. */
  readonly status: RangeStatus;
}

/** One row of a thermistor table: the sensor's resistance (or divider ADC counts) at a temperature. */
export interface ThermistorRow {
  /** Temperature, °C. */
  readonly temperature_c: number;
  /** Thermistor resistance at that temperature, Ω (when the table is by resistance). */
  readonly resistance_ohm?: number;
  /** Divider ADC counts at that temperature (when the table is by counts). */
  readonly counts?: number;
}

/** A validated thermistor configuration (see `parseArduinoIoConfig`). */
export interface ThermistorConfig {
  /** Table input: thermistor resistance (needs the divider) or ADC counts. */
  readonly input: 'resistance_ohm' | 'counts';
  /** Series (upper) resistor of the divider, Ω (2200 on the rig, reference §5). Used when `input` is `resistance_ohm`. */
  readonly seriesResistanceOhm: number;
  /** ADC full scale used in the divider formula, counts (1024 in the original, reference §5). */
  readonly fullScaleCounts: number;
  /** Rows sorted by strictly increasing x (resistance or counts); temperatures strictly monotonic. */
  readonly rows: readonly { readonly x: number; readonly temperature_c: number }[];
}

/** A validated pressure scaling (see `parseArduinoIoConfig`). */
export interface PressureConfig {
  /** ADC reference voltage, V (5 on the rig). */
  readonly referenceVoltageV: number;
  /** ADC full scale, counts (1024 in the original). */
  readonly fullScaleCounts: number;
  /** Transducer output at zero pressure, V (0.5 on the rig). */
  readonly zeroVoltageV: number;
  /** Transducer output at full scale, V (4.5 on the rig). */
  readonly fullScaleVoltageV: number;
  /** Pressure at `fullScaleVoltageV`, Pa (the original's full scale is "150" without a unit). */
  readonly fullScalePa: number;
}

/** Engineering values of one reading line. */
export interface ArduinoReading {
  /** Thermistor 1 (A0), °C with range status. */
  readonly temperature1_c: ConvertedValue;
  /** Thermistor 2 (A1), °C with range status. */
  readonly temperature2_c: ConvertedValue;
  /** Pressure transducer (A2), Pa with range status. */
  readonly pressure_pa: ConvertedValue;
  /** The raw counts as received. */
  readonly raw: RawReading;
}

/**
 * Thermistor resistance from divider counts (reference §5): Rseries × counts / (fullScale − counts).
 *
 * @returns Ω; `0` for 0 counts (a short), `Infinity` for counts ≥ fullScale (an open sensor).
 */
export function dividerResistanceOhm(counts: number, seriesResistanceOhm: number, fullScaleCounts: number): number {
  if (counts <= 0) return 0;
  if (counts >= fullScaleCounts) return Number.POSITIVE_INFINITY;
  return (seriesResistanceOhm * counts) / (fullScaleCounts - counts);
}

/**
 * Piecewise-linear interpolation in a table sorted by strictly increasing `x`, clamped and flagged
 * outside it. `below_range`/`above_range` refer to TEMPERATURE (colder/hotter than the table), so the
 * flag is right whichever way the table runs (NTC: resistance falls as temperature rises).
 *
 * @param rows - at least 2 rows, `x` strictly increasing, temperatures strictly monotonic.
 * @param x - resistance, Ω, or counts.
 */
export function interpolateTable(rows: ThermistorConfig['rows'], x: number): ConvertedValue {
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const rising = last.temperature_c > first.temperature_c;
  const edge = (row: typeof first): ConvertedValue => ({
    value: row.temperature_c,
    status: (row === last) === rising ? 'above_range' : 'below_range',
  });
  if (Number.isNaN(x)) return edge(first);
  if (x < first.x) return edge(first);
  if (x > last.x) return edge(last);
  // Binary search for the segment [lo, lo+1] with x_lo <= x <= x_lo+1.
  let lo = 0;
  let hi = rows.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.x <= x) lo = mid;
    else hi = mid;
  }
  const a = rows[lo]!;
  const b = rows[hi]!;
  const w = (x - a.x) / (b.x - a.x);
  return { value: a.temperature_c + w * (b.temperature_c - a.temperature_c), status: 'ok' };
}

/**
 * Thermistor temperature from divider counts.
 *
 * @param counts - ADC counts 0..1023.
 * @returns °C, clamped and flagged outside the table (see the module docs).
 */
export function thermistorTemperatureC(counts: number, cfg: ThermistorConfig): ConvertedValue {
  const x = cfg.input === 'counts' ? counts : dividerResistanceOhm(counts, cfg.seriesResistanceOhm, cfg.fullScaleCounts);
  return interpolateTable(cfg.rows, x);
}

/**
 * Pressure from transducer counts (reference §5: 0.5–4.5 V linear on the rig).
 *
 * @param counts - ADC counts 0..1023.
 * @returns Pa, clamped to 0..fullScalePa and flagged outside the voltage band.
 */
export function pressurePa(counts: number, cfg: PressureConfig): ConvertedValue {
  const v = (counts / cfg.fullScaleCounts) * cfg.referenceVoltageV;
  if (v < cfg.zeroVoltageV) return { value: 0, status: 'below_range' };
  if (v > cfg.fullScaleVoltageV) return { value: cfg.fullScalePa, status: 'above_range' };
  return { value: ((v - cfg.zeroVoltageV) / (cfg.fullScaleVoltageV - cfg.zeroVoltageV)) * cfg.fullScalePa, status: 'ok' };
}

/**
 * Converts one decoded line into engineering values.
 *
 * @param raw - from `decodeReadingLine`.
 * @param cfg - the thermistor table (both thermistors share it, as on the rig) and the pressure scale.
 */
export function convertReading(raw: RawReading, cfg: { readonly thermistor: ThermistorConfig; readonly pressure: PressureConfig }): ArduinoReading {
  return {
    temperature1_c: thermistorTemperatureC(raw.temperature1Counts, cfg.thermistor),
    temperature2_c: thermistorTemperatureC(raw.temperature2Counts, cfg.thermistor),
    pressure_pa: pressurePa(raw.pressureCounts, cfg.pressure),
    raw,
  };
}
