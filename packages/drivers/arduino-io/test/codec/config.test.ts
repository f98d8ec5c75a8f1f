import { describe, expect, it } from 'vitest';
import { parseArduinoIoConfig } from '../../src/codec/config.js';
import { ArduinoError } from '../../src/errors.js';

const GOOD = {
  outputPins: [6, 7, 5, 3, 4],
  thermistor: { seriesResistanceOhm: 2200, table: [{ temperature_c: 0, resistance_ohm: 4000 }, { temperature_c: 50, resistance_ohm: 1000 }] },
  pressure: { zeroVoltageV: 0.5, fullScaleVoltageV: 4.5, fullScalePa: 1_000_000 },
};

function issues(input: unknown): string {
  try {
    parseArduinoIoConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ArduinoError);
    expect((e as ArduinoError).code).toBe('BB_ARDUINO_CONFIG_INVALID');
    return (e as ArduinoError).message;
  }
  throw new Error('expected BB_ARDUINO_CONFIG_INVALID');
}

describe('parseArduinoIoConfig', () => {
  it('accepts the rig configuration, fills the ADC defaults, sorts the table', () => {
    const c = parseArduinoIoConfig(GOOD);
    expect([...c.outputPins]).toEqual([6, 7, 5, 3, 4]);
    expect(c.thermistor.rows.map((r) => r.x)).toEqual([1000, 4000]);
    expect(c.thermistor.fullScaleCounts).toBe(1024);
    expect(c.pressure.referenceVoltageV).toBe(5);
    expect(Object.isFrozen(c)).toBe(true);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no pins', { ...GOOD, outputPins: [] }, /outputPins: must list at least one pin/],
    ['a repeated pin', { ...GOOD, outputPins: [6, 6] }, /outputPins: must not repeat a pin/],
    ['pin 100', { ...GOOD, outputPins: [100] }, /outputPins\[0\]: must be an integer 0\.\.99/],
    ['a one-row table', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: 1 }] } }, /thermistor\.table: must have at least 2 rows/],
    ['a row with both inputs', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: 1, counts: 3 }, { temperature_c: 1, resistance_ohm: 2 }] } }, /thermistor\.table\[0\]: must give exactly one of/],
    ['a mixed table', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: 1 }, { temperature_c: 1, counts: 2 }] } }, /not a mix/],
    ['a repeated resistance', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: 1000 }, { temperature_c: 1, resistance_ohm: 1000 }] } }, /resistance 1000 Ω appears twice/],
    ['a non-monotonic table', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: 4000 }, { temperature_c: 50, resistance_ohm: 1000 }, { temperature_c: 60, resistance_ohm: 3000 }] } }, /temperature must change monotonically with resistance \(rows at 1000 and 3000 Ω break it\)/],
    ['no series resistor for a resistance table', { ...GOOD, thermistor: { table: GOOD.thermistor.table } }, /thermistor\.seriesResistanceOhm: required/],
    ['a negative resistance', { ...GOOD, thermistor: { ...GOOD.thermistor, table: [{ temperature_c: 0, resistance_ohm: -1 }, { temperature_c: 1, resistance_ohm: 2 }] } }, /thermistor\.table\[0\]\.resistance_ohm: must be a finite number > 0/],
    ['an inverted pressure band', { ...GOOD, pressure: { ...GOOD.pressure, zeroVoltageV: 4.5, fullScaleVoltageV: 0.5 } }, /pressure\.fullScaleVoltageV: must be above zeroVoltageV 4\.5/],
    ['no pressure full scale', { ...GOOD, pressure: { zeroVoltageV: 0.5, fullScaleVoltageV: 4.5 } }, /pressure\.fullScalePa: must be/],
    ['an unknown field', { ...GOOD, pumpPin: 6 }, /Unrecognized key|pumpPin/],
  ];
  it.each(bad)('refuses %s naming the field', (_what, input, message) => {
    expect(issues(input)).toMatch(message);
  });
});
