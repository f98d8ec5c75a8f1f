import { describe, expect, it } from 'vitest';
import { parseArduinoIoConfig } from '../../src/codec/config.js';
import { convertReading, dividerResistanceOhm, pressurePa, thermistorTemperatureC } from '../../src/codec/conversion.js';

// A test table of our own (not the rig's TempSensor.csv): an NTC, resistance falling as it warms.
// 2200 Ω sits on a row so that 512 counts (the divider's midpoint with the 2.2 kΩ resistor) hits it.
const ROWS_COLD_TO_HOT = [
  { temperature_c: -10, resistance_ohm: 8000 },
  { temperature_c: 0, resistance_ohm: 4000 },
  { temperature_c: 20, resistance_ohm: 2200 },
  { temperature_c: 25, resistance_ohm: 2000 },
  { temperature_c: 50, resistance_ohm: 1000 },
];
const PRESSURE = { zeroVoltageV: 0.5, fullScaleVoltageV: 4.5, fullScalePa: 1_000_000 };
const config = (table: readonly object[]) => parseArduinoIoConfig({ outputPins: [6], thermistor: { table, seriesResistanceOhm: 2200 }, pressure: PRESSURE });

/** counts that give resistance r with the 2.2 kΩ divider and full scale 1024 (inverse of the divider formula). */
const countsFor = (r: number): number => (1024 * r) / (2200 + r);

describe('thermistor conversion', () => {
  const cfg = config(ROWS_COLD_TO_HOT).thermistor;

  it('computes the divider resistance as the original (reference §5)', () => {
    expect(dividerResistanceOhm(512, 2200, 1024)).toBe(2200);
    expect(dividerResistanceOhm(256, 2200, 1024)).toBeCloseTo(2200 / 3, 9);
    expect(dividerResistanceOhm(0, 2200, 1024)).toBe(0);
    expect(dividerResistanceOhm(1024, 2200, 1024)).toBe(Number.POSITIVE_INFINITY);
  });

  it('hits every table row exactly', () => {
    for (const row of ROWS_COLD_TO_HOT) {
      const t = thermistorTemperatureC(countsFor(row.resistance_ohm), cfg);
      expect(t.status).toBe('ok');
      expect(t.value).toBeCloseTo(row.temperature_c, 9);
    }
  });

  it('interpolates towards the right end of the segment (not reversed, defect D6)', () => {
    // 1250 Ω is 25 % of the way from the 1000 Ω row (50 °C) to the 2000 Ω row (25 °C):
    // correct: 50 + 0.25 × (25 − 50) = 43.75 °C; the original's reversed weights gave 31.25 °C.
    const t = thermistorTemperatureC(countsFor(1250), cfg);
    expect(t).toEqual({ value: expect.closeTo(43.75, 9) as number, status: 'ok' });
    // 3000 Ω is 1/3 of the way from 2200 Ω (20 °C) to 4000 Ω (0 °C) → 20 − 20 × 800/1800.
    expect(thermistorTemperatureC(countsFor(3000), cfg).value).toBeCloseTo(20 - (20 * 800) / 1800, 9);
  });

  it('is monotonic: more counts (more resistance) is colder, across the whole table', () => {
    let previous = Number.POSITIVE_INFINITY;
    for (let c = Math.ceil(countsFor(1000)); c <= Math.floor(countsFor(8000)); c++) {
      const t = thermistorTemperatureC(c, cfg);
      expect(t.status).toBe('ok');
      expect(t.value).toBeLessThan(previous);
      previous = t.value;
    }
  });

  it('gives the same results whichever order the table is written in', () => {
    const reversed = config([...ROWS_COLD_TO_HOT].reverse());
    const shuffled = config([ROWS_COLD_TO_HOT[2]!, ROWS_COLD_TO_HOT[0]!, ROWS_COLD_TO_HOT[4]!, ROWS_COLD_TO_HOT[1]!, ROWS_COLD_TO_HOT[3]!]);
    for (let c = 0; c <= 1023; c += 7) {
      const a = thermistorTemperatureC(c, cfg);
      expect(thermistorTemperatureC(c, reversed.thermistor)).toEqual(a);
      expect(thermistorTemperatureC(c, shuffled.thermistor)).toEqual(a);
    }
  });

  it('clamps and flags beyond the hot end (low resistance, a short)', () => {
    expect(thermistorTemperatureC(countsFor(900), cfg)).toEqual({ value: 50, status: 'above_range' });
    expect(thermistorTemperatureC(0, cfg)).toEqual({ value: 50, status: 'above_range' });
  });

  it('clamps and flags beyond the cold end (high resistance, an open sensor)', () => {
    expect(thermistorTemperatureC(countsFor(9000), cfg)).toEqual({ value: -10, status: 'below_range' });
    expect(thermistorTemperatureC(1023, cfg)).toEqual({ value: -10, status: 'below_range' });
  });

  it('flags correctly for a PTC table too (resistance rising with temperature)', () => {
    const ptc = config([{ temperature_c: 0, resistance_ohm: 1000 }, { temperature_c: 100, resistance_ohm: 1385 }]);
    expect(thermistorTemperatureC(countsFor(900), ptc.thermistor)).toEqual({ value: 0, status: 'below_range' });
    expect(thermistorTemperatureC(countsFor(1500), ptc.thermistor)).toEqual({ value: 100, status: 'above_range' });
    expect(thermistorTemperatureC(countsFor(1192.5), ptc.thermistor).value).toBeCloseTo(50, 9);
  });

  it('interpolates a table given in ADC counts directly', () => {
    const byCounts = parseArduinoIoConfig({ outputPins: [6], thermistor: { table: [{ temperature_c: 80, counts: 200 }, { temperature_c: 20, counts: 600 }] }, pressure: PRESSURE });
    expect(thermistorTemperatureC(300, byCounts.thermistor)).toEqual({ value: 65, status: 'ok' });
    expect(thermistorTemperatureC(100, byCounts.thermistor)).toEqual({ value: 80, status: 'above_range' });
    expect(thermistorTemperatureC(700, byCounts.thermistor)).toEqual({ value: 20, status: 'below_range' });
  });
});

describe('pressure conversion', () => {
  const p = config(ROWS_COLD_TO_HOT).pressure;
  it('is linear from 0.5 V to 4.5 V (reference §5)', () => {
    // 0.5 V = 102.4 counts, 2.5 V = 512 counts, 4.5 V = 921.6 counts of 1024 at 5 V
    expect(pressurePa(512, p)).toEqual({ value: 500_000, status: 'ok' });
    expect(pressurePa(103, p).value).toBeCloseTo(((103 / 1024) * 5 - 0.5) / 4 * 1_000_000, 6);
    expect(pressurePa(921, p).status).toBe('ok');
  });
  it('clamps and flags below 0.5 V (broken wire) and above 4.5 V', () => {
    expect(pressurePa(102, p)).toEqual({ value: 0, status: 'below_range' });
    expect(pressurePa(0, p)).toEqual({ value: 0, status: 'below_range' });
    expect(pressurePa(922, p)).toEqual({ value: 1_000_000, status: 'above_range' });
  });
});

describe('convertReading', () => {
  it('converts the three channels of a line', () => {
    const cfg = config(ROWS_COLD_TO_HOT);
    const raw = { temperature1Counts: 512, temperature2Counts: Math.round(countsFor(1000)), pressureCounts: 512 };
    const r = convertReading(raw, cfg);
    expect(r.temperature1_c).toEqual({ value: 20, status: 'ok' });
    expect(r.temperature2_c.value).toBeCloseTo(50, 0);
    expect(r.pressure_pa).toEqual({ value: 500_000, status: 'ok' });
    expect(r.raw).toBe(raw);
  });
});
