import { describe, expect, it } from 'vitest';
import { mapColumn, mapHeader } from '../../src/codec/columns.js';

describe('column catalogue (reference §3.3)', () => {
  const cases: ReadonlyArray<readonly [string, string, string, number]> = [
    ['Time[h]', 'number', 'elapsed_s', 3600],
    ['~Time[s]', 'number', 'elapsed_s', 1],
    ['Time[h:min:s]', 'hms', 'elapsed_s', 1],
    ['#Time[hh:mm:ss]', 'hms', 'elapsed_s', 1],
    ['t-Step[h]', 'number', 'step_time_s', 3600],
    ['t-Set[s]', 'number', 'set_time_s', 1],
    ['t-Cyc[s]', 'number', 'cycle_time_s', 1],
    ['U[V]', 'number', 'voltage_v', 1],
    ['U[mV]', 'number', 'voltage_v', 0.001],
    ['I[A]', 'number', 'current_a', 1],
    ['I[mA]', 'number', 'current_a', 0.001],
    ['P[W]', 'number', 'power_w', 1],
    ['Ah[Ah]', 'number', 'charge_ah', 1],
    ['Wh[Wh]', 'number', 'energy_wh', 1],
    ['Wh[Wh/kg]', 'number', 'specific_energy_wh_per_kg', 1],
    ['Ah-Charge', 'number', 'charged_ah', 1],
    ['Ah-Discharge', 'number', 'discharged_ah', 1],
    ['Ah-Step', 'number', 'step_ah', 1],
    ['Ah-Set', 'number', 'set_ah', 1],
    ['Ah-Ch-Set', 'number', 'set_charged_ah', 1],
    ['Ah-Charge-Set', 'number', 'set_charged_ah', 1],
    ['Ah-Dis-Set', 'number', 'set_discharged_ah', 1],
    ['Ah-Discharge-Set', 'number', 'set_discharged_ah', 1],
    ['Ah-Cyc-Discharge-0', 'number', 'cycle_discharged_0_ah', 1],
    ['Wh-Ch-Set', 'number', 'set_charged_wh', 1],
    ['Wh-Cyc-Charge', 'number', 'cycle_charged_wh', 1],
    ['T1[°C]', 'number', 'temperature_1_c', 1],
    ['T2[\uFFFDC]', 'number', 'temperature_2_c', 1],
    ['T1[Â°C]', 'number', 'temperature_1_c', 1],
    ['R-AC', 'number', 'resistance_ac_ohm', 1],
    ['R-DC[mOhm]', 'number', 'resistance_dc_ohm', 0.001],
    ['DataSet', 'integer', 'data_set', 1],
    ['Line', 'integer', 'line', 1],
    ['State', 'integer', 'state', 1],
    ['Command', 'text', 'command', 1],
    ['Cyc-Count', 'integer', 'cycle_count', 1],
    ['Count', 'integer', 'loop_count', 1],
    ['Level', 'integer', 'level', 1],
    ['DateTime', 'datetime', 'datetime', 1],
    ['U[furlong]', 'extra', 'U[furlong]', 1],
    ['Chamber', 'extra', 'Chamber', 1],
  ];
  for (const [header, kind, target, scale] of cases) {
    it(`${header} → ${target}`, () => expect(mapColumn(header, false)).toMatchObject({ kind, target, scale }));
  }
  it('bare Time is the clock only next to Date', () => {
    expect(mapHeader(['~Time[h]', 'Date', 'Time']).map((c) => c.kind)).toEqual(['number', 'date', 'clock']);
    expect(mapHeader(['~Time[h]', 'Time']).map((c) => c.kind)).toEqual(['number', 'extra']);
  });
});
