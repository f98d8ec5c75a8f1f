import { describe, expect, it } from 'vitest';
import { noticeToEvent, pcsReading } from '../src/records.js';

describe('Safety rig > records', () => {
  it('a transition is a STATE_CHANGE with the triggering rule and values, on the BMU channel', () => {
    const e = noticeToEvent('rig-a', { kind: 'transition', wallMs: 1000, transition: { from: 'normal', to: 'dangerous', atMs: 5, reason: 'r', cause: { rule: 'cell_voltage_high', input: 'bmu:3', quantity: 'max_cell_voltage_v', level: 'dangerous', value: 4.25, limit: 4.2, stale: false, latched: false } } });
    expect(e).toEqual(expect.objectContaining({ device_id: 'rig-a', protocol: 'safety-rig', channel: 3, kind: 'STATE_CHANGE', previous_state: 'normal', state: 'dangerous', reason: 'r', timestamp: new Date(1000) }));
    expect(e.details).toEqual({ rule: 'cell_voltage_high', input: 'bmu:3', quantity: 'max_cell_voltage_v', value: '4.25', limit: '4.2', level: 'dangerous', stale: 'false', latched: 'false' });
  });

  it('a failed action is a FAULT with its code; a done one an action STATE_CHANGE', () => {
    const failed = noticeToEvent('rig-a', { kind: 'action', wallMs: 0, ok: false, error: 'timeout', errorCode: 'BB_MODBUS_TIMEOUT', action: { kind: 'pcs_off', reason: 'dangerous: x' } });
    expect(failed).toEqual(expect.objectContaining({ kind: 'FAULT', state: 'action:pcs_off', error_code: 'BB_MODBUS_TIMEOUT', reason: 'dangerous: x: failed: timeout' }));
    const done = noticeToEvent('rig-a', { kind: 'action', wallMs: 0, ok: true, action: { kind: 'outputs', outputs: { relay1: false }, reason: 'dangerous: relays open' } });
    expect(done).toEqual(expect.objectContaining({ kind: 'STATE_CHANGE', state: 'action:outputs', details: { action: 'outputs', output_relay1: 'off' } }));
  });

  it('a schedule step carries its set-point, duration and line', () => {
    const e = noticeToEvent('rig-a', { kind: 'schedule', schedule: 's.csv', wallMs: 0, event: { kind: 'step', index: 1, atMs: 0, step: { durationS: 300, setpoint: { mode: 'current', value: 0 }, line: 3 } } });
    expect(e).toEqual(expect.objectContaining({ state: 'schedule:step', details: { schedule: 's.csv', index: '1', mode: 'current', setpoint: '0', duration_s: '300', line: '3' } }));
  });

  it('the PCS poll is a Reading with bits as 1/0 and the interlock state', () => {
    expect(pcsReading('rig-a', 'safety-rig', { battery_voltage_v: 378.4, status_fan_on: true }, 'warning', 2000, 7)).toEqual({ device_id: 'rig-a', protocol: 'safety-rig', channel: null, timestamp: new Date(2000), values: { battery_voltage_v: 378.4, status_fan_on: 1 }, states: { source: 'pcs', interlock: 'warning' }, quality: 'GOOD', sequence: 7, record_type: 'rig:pcs' });
  });
});
