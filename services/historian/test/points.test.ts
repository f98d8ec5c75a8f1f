import { describe, expect, it } from 'vitest';
import type { Reading } from '@busbar/avro';
import { readingToPoint } from '../src/points.js';

const base: Reading = { device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), values: {}, exact_values: {}, states: {}, quality: 'GOOD', sequence: 1 };
const line = (r: Reading): string | undefined => readingToPoint(r).point?.toLineProtocol({ getCurrentTimestamp: () => '0' } as never);

describe('historian > points', () => {
  it('maps a reading to measurement, tags, fields and a millisecond timestamp', () => {
    expect(line({ ...base, channel: 3, values: { voltage_v: 12.5, current_a: 1 }, exact_values: { volume_converted_m3: '12345.678' }, states: { status: 'CHARGE' } })).toBe(
      'modbus,channel=3,device=psu-1,protocol=modbus current_a=1,quality="GOOD",status="CHARGE",voltage_v=12.5,volume_converted_m3=12345.678 1767323045678000000', // ns without a write API's precision: the ms timestamp exactly
    );
  });

  it('leaves out and reports what InfluxDB would refuse, keeping the rest of the reading', () => {
    const m = readingToPoint({
      ...base,
      values: { voltage_v: Number.POSITIVE_INFINITY, current_a: 2, 'bad\\': 1, '': 3, quality: 9 },
      exact_values: { empty: '', hex: '0x1F', current_a: '5', ok_m3: '1.5e3' },
      states: { current_a: 'x' },
    });
    expect(m.point?.toLineProtocol({ getCurrentTimestamp: () => '0' } as never)).toBe('modbus,device=psu-1,protocol=modbus current_a=2,ok_m3=1500,quality="GOOD" 1767323045678000000');
    expect(m.problems).toEqual([
      { name: 'voltage_v', problem: 'non_finite' },
      { name: 'bad\\', problem: 'bad_field_name' },
      { name: '', problem: 'bad_field_name' },
      { name: 'quality', problem: 'name_collision' },
      { name: 'empty', problem: 'not_decimal' },
      { name: 'hex', problem: 'not_decimal' },
      { name: 'current_a', problem: 'name_collision' },
      { name: 'current_a', problem: 'name_collision' },
    ]);
  });

  it('refuses a reading with no field or a timestamp outside InfluxDB\'s range', () => {
    expect(readingToPoint({ ...base, values: { voltage_v: Number.NaN } })).toEqual({ point: undefined, problems: [{ name: 'voltage_v', problem: 'non_finite' }, { name: '*', problem: 'no_fields' }] });
    expect(readingToPoint({ ...base, timestamp: new Date(Date.UTC(1600, 0, 1)), values: { v: 1 } })).toEqual({ point: undefined, problems: [{ name: 'timestamp', problem: 'time_out_of_range' }] });
  });
});
