import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Alert, CommandResult, DeviceEvent } from '@busbar/avro';
import { alertToPoint, commandResultToPoint, deviceEventToPoint, fnv1a32, nanosWithOffset } from '../src/records.js';

const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
const lp = (p: { point: { toLineProtocol(): string | undefined } | undefined }): string | undefined => p.point?.toLineProtocol();
/** The timestamp of `at` in ns plus the offset the test computes from FNV-1a's published parameters. */
const ns = (identity: string): string => (1_767_323_045_678_000_000n + BigInt(fnv1a32(identity) % 1_000_000)).toString();

const event: DeviceEvent = { event_id: 'e-1', device_id: 'arbin-1', protocol: 'arbin-cti', channel: 3, timestamp: at, kind: 'STATE_CHANGE', previous_state: 'Rest', state: 'Charge', reason: 'channel 3 started', error_code: null, details: { transition: 'started' } };
const result: CommandResult = { command_id: 'c-1', device_id: 'psu-1', channel: null, action: 'modbus.write', status: 'REJECTED', reason_code: 'BB_SAFETY_ABOVE_MAX', reason: 'value 99 above 60', timestamp: at, details: {} };
const alert: Alert = { alert_id: 'a-1', rule: 'psu-overtemp', device_id: 'psu-1', channel: null, signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', value: 95, threshold: 80, timestamp: at, message: 'psu-1: temperature_c = 95 (bound 80)' };

describe('historian > records', () => {
  it('FNV-1a 32 follows its published test values', () => {
    // draft-eastlake-fnv §"Test Vectors": FNV-1a 32 of "" and "a"
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('a device event: tags device/protocol/padded channel/kind, an annotation text, the other parts as fields', () => {
    expect(lp(deviceEventToPoint(event))).toBe(
      `device_event,channel=0003,device=arbin-1,kind=STATE_CHANGE,protocol=arbin-cti details="{\\"transition\\":\\"started\\"}",event_id="e-1",previous_state="Rest",reason="channel 3 started",state="Charge",text="STATE_CHANGE Rest → Charge: channel 3 started" ${ns('e-1')}`,
    );
    expect(lp(deviceEventToPoint({ ...event, channel: null, kind: 'DISCONNECTED', previous_state: null, state: null, reason: 'connection lost', error_code: 'BB_MODBUS_CONNECTION', details: {} }))).toBe(
      `device_event,device=arbin-1,kind=DISCONNECTED,protocol=arbin-cti details="{}",error_code="BB_MODBUS_CONNECTION",event_id="e-1",reason="connection lost",text="DISCONNECTED: connection lost (BB_MODBUS_CONNECTION)" ${ns('e-1')}`,
    );
  });

  it('a command result: tags action and status, the reason in the text', () => {
    expect(lp(commandResultToPoint(result))).toBe(
      `command_result,action=modbus.write,device=psu-1,status=REJECTED command_id="c-1",details="{}",reason="value 99 above 60",reason_code="BB_SAFETY_ABOVE_MAX",text="modbus.write REJECTED: BB_SAFETY_ABOVE_MAX value 99 above 60" ${ns('c-1/REJECTED')}`,
    );
    expect(lp(commandResultToPoint({ ...result, status: 'EXECUTED', reason_code: null, reason: null, channel: 2 }))).toBe(
      `command_result,action=modbus.write,channel=0002,device=psu-1,status=EXECUTED command_id="c-1",details="{}",text="modbus.write EXECUTED" ${ns('c-1/EXECUTED')}`,
    );
  });

  it('an alert: tags rule/signal/severity/state, the message as text, value and threshold as floats', () => {
    expect(lp(alertToPoint(alert))).toBe(`alert,device=psu-1,rule=psu-overtemp,severity=CRITICAL,signal=temperature_c,state=FIRING alert_id="a-1",text="psu-1: temperature_c = 95 (bound 80)",threshold=80,value=95 ${ns('a-1/FIRING')}`);
    const m = alertToPoint({ ...alert, value: Number.NaN, threshold: null, state: 'RESOLVED' });
    expect(lp(m)).toBe(`alert,device=psu-1,rule=psu-overtemp,severity=CRITICAL,signal=temperature_c,state=RESOLVED alert_id="a-1",text="psu-1: temperature_c = 95 (bound 80)" ${ns('a-1/RESOLVED')}`);
    expect(m.problems).toEqual([{ name: 'value', problem: 'non_finite' }]);
  });

  it('an ACKNOWLEDGED alert (Alert v2) is its own point of the episode: state tag ACKNOWLEDGED, no value or threshold', () => {
    const m = alertToPoint({ ...alert, state: 'ACKNOWLEDGED', value: null, threshold: null, message: 'ACKNOWLEDGED by alice: psu-1 temperature_c (rule psu-overtemp)' });
    expect(lp(m)).toBe(`alert,device=psu-1,rule=psu-overtemp,severity=CRITICAL,signal=temperature_c,state=ACKNOWLEDGED alert_id="a-1",text="ACKNOWLEDGED by alice: psu-1 temperature_c (rule psu-overtemp)" ${ns('a-1/ACKNOWLEDGED')}`);
  });

  it('refuses what cannot be a tag or a time, naming it', () => {
    expect(deviceEventToPoint({ ...event, device_id: '' })).toEqual({ point: undefined, problems: [{ name: 'device', problem: 'bad_tag_value' }] });
    expect(commandResultToPoint({ ...result, action: 'a\\' })).toEqual({ point: undefined, problems: [{ name: 'action', problem: 'bad_tag_value' }] });
    expect(alertToPoint({ ...alert, timestamp: new Date(Date.UTC(2300, 0, 1)) })).toEqual({ point: undefined, problems: [{ name: 'timestamp', problem: 'time_out_of_range' }] });
  });

  it('the sub-millisecond offset stays inside the millisecond and is the same for a replay', () => {
    fc.assert(fc.property(fc.integer({ min: -9_000_000_000_000, max: 9_000_000_000_000 }), fc.string(), (ms, id) => {
      const off = BigInt(nanosWithOffset(new Date(ms), id)) - BigInt(ms) * 1_000_000n;
      return off >= 0n && off < 1_000_000n && nanosWithOffset(new Date(ms), id) === nanosWithOffset(new Date(ms), `${id}`);
    }));
    // two events of one channel in the same millisecond: two points
    expect(lp(deviceEventToPoint({ ...event, event_id: 'e-2' }))).not.toBe(lp(deviceEventToPoint(event)));
  });
});
