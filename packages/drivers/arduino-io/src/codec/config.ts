/**
 * Configuration of the rig's Arduino I/O board: output pin whitelist, thermistor table, pressure
 * scale. Validated once, at the edge; safety-relevant values (the whitelist, the table, the pressure
 * scale) have no defaults. Facts: safety-rig reference §2 (ArduinoHandler pins 6, 7, 5, 3, 4) and §5.
 *
 * Pure: no I/O, no timers.
 */
import { z } from 'zod';
import { ArduinoError } from '../errors.js';
import type { PressureConfig, ThermistorConfig, ThermistorRow } from './conversion.js';

/** Configuration as written by a user (JSON/YAML). */
export interface ArduinoIoConfigInput {
  /** Digital pins the driver may switch (on the rig 6, 7 pump/fan; 5, 3, 4 relays 1–3). Any other pin is refused. */
  readonly outputPins: readonly number[];
  /** Thermistor conversion (both thermistors share it). */
  readonly thermistor: {
    /** Rows of the sensor's table (by resistance or by counts, not mixed), any order, at least 2. */
    readonly table: readonly ThermistorRow[];
    /** Series resistor of the divider, Ω; required for a table by resistance (2200 on the rig). */
    readonly seriesResistanceOhm?: number;
    /** ADC full scale in the divider formula, counts. @default 1024 (as the original, reference §5) */
    readonly fullScaleCounts?: number;
  };
  /** Pressure transducer scaling. */
  readonly pressure: {
    /** Transducer output at zero pressure, V (0.5 on the rig). */
    readonly zeroVoltageV: number;
    /** Transducer output at full scale, V (4.5 on the rig). */
    readonly fullScaleVoltageV: number;
    /** Pressure at full scale, Pa (the original's "150" has no unit: state yours). */
    readonly fullScalePa: number;
    /** ADC reference, V. @default 5 */
    readonly referenceVoltageV?: number;
    /** ADC full scale, counts. @default 1024 */
    readonly fullScaleCounts?: number;
  };
}

/** Validated configuration (frozen). */
export interface ArduinoIoConfig {
  /** The pin whitelist. */
  readonly outputPins: ReadonlySet<number>;
  /** Thermistor conversion, table sorted by x. */
  readonly thermistor: ThermistorConfig;
  /** Pressure scaling. */
  readonly pressure: PressureConfig;
}

const finite = (what: string) => z.number({ error: `must be ${what}` }).refine(Number.isFinite, `must be ${what}`);
const positive = finite('a finite number > 0').refine((n) => n > 0, 'must be a finite number > 0');

const schema = z
  .object({
    outputPins: z
      .array(z.number({ error: 'must be an integer 0..99' }).int('must be an integer 0..99').min(0, 'must be an integer 0..99').max(99, 'must be an integer 0..99'), { error: 'must be an array of pin numbers' })
      .min(1, 'must list at least one pin')
      .refine((a) => new Set(a).size === a.length, 'must not repeat a pin'),
    thermistor: z
      .object({
        table: z
          .array(
            z
              .object({ temperature_c: finite('a finite number (°C)'), resistance_ohm: positive.optional(), counts: finite('counts 0..1023').refine((n) => n >= 0 && n <= 1023, 'must be counts 0..1023').optional() })
              .strict()
              .refine((r) => (r.resistance_ohm === undefined) !== (r.counts === undefined), 'must give exactly one of resistance_ohm, counts'),
            { error: 'must be an array of rows' },
          )
          .min(2, 'must have at least 2 rows'),
        seriesResistanceOhm: positive.optional(),
        fullScaleCounts: z.number().int('must be an integer 2..65536').min(2, 'must be an integer 2..65536').max(65536, 'must be an integer 2..65536').default(1024),
      })
      .strict(),
    pressure: z
      .object({
        zeroVoltageV: finite('a finite voltage ≥ 0').refine((v) => v >= 0, 'must be a finite voltage ≥ 0'),
        fullScaleVoltageV: positive,
        fullScalePa: positive,
        referenceVoltageV: positive.default(5),
        fullScaleCounts: z.number().int('must be an integer 2..65536').min(2, 'must be an integer 2..65536').max(65536, 'must be an integer 2..65536').default(1024),
      })
      .strict(),
  })
  .strict();

function path(p: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out || '(root)';
}

/**
 * Validates the configuration.
 *
 * @param input - typically parsed JSON ({@link ArduinoIoConfigInput}).
 * @returns the validated configuration; the table sorted by increasing resistance (or counts).
 * @throws {ArduinoError} `BB_ARDUINO_CONFIG_INVALID` listing every problem as `path: message`, e.g.
 *   `thermistor.table: resistance 1000 Ω appears twice`, `pressure.fullScaleVoltageV: must be above zeroVoltageV 0.5`.
 */
export function parseArduinoIoConfig(input: unknown): ArduinoIoConfig {
  const r = schema.safeParse(input);
  const issues: string[] = r.success ? [] : r.error.issues.map((i) => `${path(i.path)}: ${i.message}`);
  if (!r.success) throw configError(issues);
  const c = r.data;
  const byResistance = c.thermistor.table.every((row) => row.resistance_ohm !== undefined);
  const byCounts = c.thermistor.table.every((row) => row.counts !== undefined);
  if (!byResistance && !byCounts) issues.push('thermistor.table: rows must all give resistance_ohm or all give counts, not a mix');
  if (byResistance && c.thermistor.seriesResistanceOhm === undefined) issues.push('thermistor.seriesResistanceOhm: required for a table by resistance (the divider resistor, Ω)');
  const unit = byResistance ? 'Ω' : 'counts';
  const rows = c.thermistor.table.map((row) => ({ x: (byResistance ? row.resistance_ohm : row.counts)!, temperature_c: row.temperature_c })).sort((a, b) => a.x - b.x);
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.x === rows[i - 1]!.x) issues.push(`thermistor.table: ${byResistance ? 'resistance' : 'counts'} ${rows[i]!.x} ${unit} appears twice`);
  }
  const sign = Math.sign(rows[rows.length - 1]!.temperature_c - rows[0]!.temperature_c);
  for (let i = 1; i < rows.length; i++) {
    if (Math.sign(rows[i]!.temperature_c - rows[i - 1]!.temperature_c) !== sign || sign === 0) {
      issues.push(`thermistor.table: temperature must change monotonically with ${byResistance ? 'resistance' : 'counts'} (rows at ${rows[i - 1]!.x} and ${rows[i]!.x} ${unit} break it)`);
      break;
    }
  }
  if (c.pressure.fullScaleVoltageV <= c.pressure.zeroVoltageV) issues.push(`pressure.fullScaleVoltageV: must be above zeroVoltageV ${c.pressure.zeroVoltageV}`);
  if (c.pressure.fullScaleVoltageV > c.pressure.referenceVoltageV) issues.push(`pressure.fullScaleVoltageV: must not exceed referenceVoltageV ${c.pressure.referenceVoltageV}`);
  if (issues.length > 0) throw configError(issues);
  return Object.freeze({
    outputPins: new Set(c.outputPins),
    thermistor: Object.freeze({
      input: byResistance ? ('resistance_ohm' as const) : ('counts' as const),
      seriesResistanceOhm: c.thermistor.seriesResistanceOhm ?? 0,
      fullScaleCounts: c.thermistor.fullScaleCounts,
      rows: Object.freeze(rows.map((row) => Object.freeze(row))),
    }),
    pressure: Object.freeze({ ...c.pressure }),
  });
}

function configError(issues: readonly string[]): ArduinoError {
  return new ArduinoError('BB_ARDUINO_CONFIG_INVALID', `invalid Arduino I/O configuration: ${issues.join('; ')}`, { context: { path: issues[0]?.split(':')[0], issueCount: issues.length } });
}
