import { describe, expect, it } from 'vitest';
import { BmuState, bmuFieldName } from '../src/bmu.js';

describe('Safety rig > bmu', () => {
  it.each([
    ['CMA_Voltage', 'module_voltage_v'],
    ['CMA_Current', 'module_current_a'],
    ['CMA_Max_Temp', 'max_temperature_c'],
    ['Max_Cell_Voltage', 'reported_max_cell_voltage_v'],
    ['Cell_12_Voltage', 'cell_12_voltage_v'],
    ['CMA_Temp7', 'temperature_7_c'],
    ['Cell09_SOC', 'cell_9_soc_pct'],
    ['SOC', 'soc_pct'],
    ['Charge_Ah_from_BMU', 'charge_counter'],
    ['SomethingNew', 'something_new'],
  ])('names %s as %s', (signal, field) => {
    expect(bmuFieldName(signal)).toBe(field);
  });

  it('aggregates cells 1..cellCount inclusive, cell 12 of 12 included (D3), once all are known', () => {
    const bmu = new BmuState(12);
    const pdo3 = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`Cell_${i + 1}_Voltage`, 3.3]));
    expect(bmu.apply(pdo3)).not.toHaveProperty('max_cell_voltage_v'); // cells 9-12 not known yet
    const changed = bmu.apply({ Cell_9_Voltage: 3.31, Cell_10_Voltage: 3.3, Cell_11_Voltage: 3.3, Cell_12_Voltage: 4.25, Cell_13_Voltage: 2.2, Cell_14_Voltage: 2.2 });
    expect(changed).toEqual(expect.objectContaining({ cell_12_voltage_v: 4.25, max_cell_voltage_v: 4.25, min_cell_voltage_v: 3.3 })); // cells 13-14 (2.2 V = raw 0) left out
    expect(bmu.apply({ CMA_Voltage: 47.1 })).toEqual({ module_voltage_v: 47.1 });
    expect(bmu.snapshot()).toEqual(expect.objectContaining({ module_voltage_v: 47.1, max_cell_voltage_v: 4.25 }));
  });
});
