import { describe, expect, it } from 'vitest';
import { toReading } from '../src/module.js';

describe('modules > modbus > module > toReading', () => {
  it('one reading per poll: numbers as read, bits as 1/0, record_type modbus:<device class>', () => {
    const r = toReading('psu-1', { voltage_v: 12.5, output_on: true, fault: false }, 1_700_000_000_000, 4, 'power-supply');
    expect(r).toEqual({
      device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(1_700_000_000_000),
      values: { voltage_v: 12.5, output_on: 1, fault: 0 }, quality: 'GOOD', sequence: 4, record_type: 'modbus:power-supply',
    });
  });
});
