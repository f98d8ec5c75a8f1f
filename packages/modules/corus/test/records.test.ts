/**
 * Readings carry Corus numbers exactly, as decimal text in `exact_values` (itron-corus reference
 * README §8.4), never as floats in `values`.
 */
import { describe, expect, it } from 'vitest';
import { ExactDecimal } from '@busbar/driver-itron-corus';
import { clockSetBackEvent, logRecordReading, parameterReading } from '../src/records.js';

describe('modules > corus > records', () => {
  it('puts parameter numbers in exact_values as canonical text, dates and texts in states', () => {
    const r = parameterReading('corus-1', {
      volume_converted_m3: ExactDecimal.from('123456789012345.678'), // beyond a float's 15-17 digits
      pressure_bar: new ExactDecimal(1_013_250n, 6),
      flow_converted_m3_per_h: ExactDecimal.from('12').mul(ExactDecimal.from('0.1')),
      clock: new Date('2020-10-07T12:00:00Z'),
      firmware_version: 'V5.1',
    }, Date.UTC(2024, 0, 1), 7);
    expect(r).toEqual({
      device_id: 'corus-1', protocol: 'itron-corus', channel: null, timestamp: new Date(Date.UTC(2024, 0, 1)), values: {},
      exact_values: { volume_converted_m3: '123456789012345.678', pressure_bar: '1.01325', flow_converted_m3_per_h: '1.2' },
      states: { clock: '2020-10-07T12:00:00.000Z', firmware_version: 'V5.1' }, quality: 'GOOD', sequence: 7, record_type: 'meter_poll',
    });
  });

  it('marks a poll with a "no value" parameter UNCERTAIN and leaves the parameter out', () => {
    const r = parameterReading('corus-1', { pressure_bar: null, temperature_c: ExactDecimal.from('-3.5') }, 0, 1);
    expect(r.quality).toBe('UNCERTAIN');
    expect(r.exact_values).toEqual({ temperature_c: '-3.5' });
  });

  it('gives a log record its own timestamp, the log name and the device time', () => {
    const ts = new Date('2020-10-07T10:15:00Z');
    const r = logRecordReading('corus-1', { log: 'interval', timestamp: ts, deviceTime: '2020-10-07T12:15:00', values: { end_date: ts, start_date: new Date('2020-10-07T10:00:00Z'), consumption_interval_converted: ExactDecimal.from('183.7'), status: ExactDecimal.from(0) } }, 3);
    expect(r).toEqual({
      device_id: 'corus-1', protocol: 'itron-corus', channel: null, timestamp: ts, values: {},
      exact_values: { consumption_interval_converted: '183.7', status: '0' },
      states: { log: 'interval', device_time: '2020-10-07T12:15:00', start_date: '2020-10-07T10:00:00.000Z' }, quality: 'GOOD', sequence: 3, record_type: 'meter_log:interval',
    });
  });

  it('flags a record logged again after a clock set-back in states.relogged, and only that one', () => {
    const rec = { log: 'interval', timestamp: new Date('2020-10-07T10:15:00Z'), deviceTime: '2020-10-07T10:15:00', values: { consumption_interval_converted: ExactDecimal.from('1.5') } };
    expect(logRecordReading('corus-1', { ...rec, relogged: true }, 3).states).toEqual({ log: 'interval', device_time: '2020-10-07T10:15:00', relogged: 'true' });
    expect(logRecordReading('corus-1', { ...rec, relogged: false }, 3).states).toEqual({ log: 'interval', device_time: '2020-10-07T10:15:00' });
  });

  it('a clock set-back → one FAULT DeviceEvent with the description as reason and the figures in details', () => {
    const e = clockSetBackEvent('corus-1', 'interval', { kind: 'clock_set_back', detectedBy: 'records', setBackByMs: 7_200_000, reloggedRecords: 8, fromDeviceTime: '2020-10-07T12:00:00', toDeviceTime: '2020-10-07T10:15:00', description: 'clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged' }, Date.UTC(2020, 9, 7, 12, 40));
    expect(e).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/), device_id: 'corus-1', protocol: 'itron-corus', timestamp: new Date(Date.UTC(2020, 9, 7, 12, 40)), kind: 'FAULT', state: 'clock_set_back',
      reason: 'clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged', error_code: 'BB_CORUS_CLOCK_SET_BACK',
      details: { log: 'interval', set_back_s: '7200', relogged_records: '8', from_device_time: '2020-10-07T12:00:00', to_device_time: '2020-10-07T10:15:00', detected_by: 'records' },
    });
  });
});
