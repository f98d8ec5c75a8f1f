import { describe, expect, it } from 'vitest';
import type { Reading } from '@busbar/avro';
import { readingToPoint } from '../src/index.js';

const base: Reading = { device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), values: {}, exact_values: {}, states: {}, quality: 'GOOD', sequence: 1 };

describe('historian > points', () => {
  it('maps a reading to measurement, tags, fields and a millisecond timestamp', () => {
    const p = readingToPoint({ ...base, channel: 3, values: { voltage_v: 12.5, current_a: 1 }, exact_values: { volume_converted_m3: '12345.678' }, states: { status: 'CHARGE' } });
    expect(p?.toLineProtocol({ getCurrentTimestamp: () => '0' } as never)).toBe(
      'modbus,channel=3,device=psu-1,protocol=modbus current_a=1,quality="GOOD",status="CHARGE",voltage_v=12.5,volume_converted_m3=12345.678 1767323045678000000', // ns without a write API's precision: the ms timestamp exactly
    );
  });

  it('skips non-finite values and refuses a reading with no field', () => {
    expect(readingToPoint({ ...base, values: { voltage_v: Number.NaN } })).toBeUndefined();
    const p = readingToPoint({ ...base, values: { voltage_v: Number.POSITIVE_INFINITY, current_a: 2 } });
    expect(p?.toLineProtocol({ getCurrentTimestamp: () => '0' } as never)).toContain('current_a=2,quality="GOOD" ');
  });
});
