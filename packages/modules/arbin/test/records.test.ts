import { describe, expect, it } from 'vitest';
import type { ChannelInfoRecord, ChannelReading } from '@busbar/driver-arbin-cti';
import { emptyChannelRecord, toChannelReading } from '@busbar/driver-arbin-cti';
import { pollRecords, toArbinReading } from '../src/records.js';

/** A driver reading built from a wire record (status 2 = Charge, README §4.2.1). */
function reading(channelIndex0: number, patch: Partial<ChannelInfoRecord> = {}): ChannelReading {
  return toChannelReading({ ...emptyChannelRecord(channelIndex0), ...patch });
}

describe('modules > arbin > records > toArbinReading', () => {
  it('maps one channel to SI-named values, textual states and the 1-based channel', () => {
    const aux = { ...emptyChannelRecord(0).aux, temperature: [{ value: 25.5, dt: 0 }, { value: 26, dt: 0 }], voltage: [{ value: 3.71, dt: 0 }], pressure: [{ value: 101.3, dt: 0 }] };
    const r = toArbinReading('arbin-1', reading(2, {
      status: 2, status_name: 'Charge', voltage_v: 3.9, current_a: 1.5, power_w: 5.85, charge_capacity_ah: 0.25, discharge_capacity_ah: 0.1, charge_energy_wh: 0.9, discharge_energy_wh: 0.3,
      internal_resistance_ohm: 0.05, test_time_s: 120, step_time_s: 30, step_and_cycle_format: '[2] 3: CC_Discharge, Current', schedule: 'Busbar_CC.sdx', testname: 'T1', aux,
    }), 1_700_000_000_000, 7);
    expect(r).toMatchObject({ device_id: 'arbin-1', protocol: 'arbin-cti', channel: 3, sequence: 7, quality: 'GOOD', timestamp: new Date(1_700_000_000_000), record_type: 'cycler_channel' });
    expect(r.values).toMatchObject({
      voltage_v: 3.9, current_a: 1.5, power_w: 5.85, charge_capacity_ah: 0.25, discharge_capacity_ah: 0.1, charge_energy_wh: 0.9, discharge_energy_wh: 0.3,
      internal_resistance_ohm: 0.05, test_time_s: 120, step_time_s: 30, cycle_index: 2, step_index: 3, status_code: 2, comm_failure: 0,
      aux_temperature_1_c: 25.5, aux_temperature_2_c: 26, aux_voltage_1_v: 3.71, aux_pressure_1: 101.3,
    });
    expect(r.states).toEqual({ status: 'Charge', state: 'running', schedule_name: 'Busbar_CC.sdx', test_name: 'T1', step_name: 'CC_Discharge', step_and_cycle: '[2] 3: CC_Discharge, Current' });
  });

  it('leaves out cycle/step when the text does not parse, non-finite values, and flags comm failure', () => {
    const r = toArbinReading('a', reading(0, { step_and_cycle_format: 'none', voltage_v: Number.NaN, comm_failure: 1 }), 0, 1);
    expect(r.values).not.toHaveProperty('cycle_index');
    expect(r.values).not.toHaveProperty('step_index');
    expect(r.values).not.toHaveProperty('voltage_v');
    expect(r.values.comm_failure).toBe(1);
    expect(r.quality).toBe('UNCERTAIN');
    expect(r.states).toEqual({ status: 'Idle', state: 'idle', step_and_cycle: 'none' });
  });
});

describe('modules > arbin > records > pollRecords', () => {
  it('one reading per channel per poll; STATE_CHANGE per transition, FAULT for unsafe; nothing when unchanged', () => {
    const prev = new Map<number, ChannelReading>();
    let seq = 0;
    const next = (): number => ++seq;
    const first = pollRecords('a', [reading(0), reading(1, { status: 8, status_name: 'Unsafe' })], prev, 1000, next);
    expect(first.readings.map((r) => [r.channel, r.sequence])).toEqual([[1, 1], [2, 2]]);
    expect(first.events.map((e) => [e.channel, e.kind, e.previous_state, e.state, e.details?.transition, e.details?.severity])).toEqual([[2, 'FAULT', null, 'Unsafe', 'fault', 'critical']]);

    const same = pollRecords('a', [reading(0), reading(1, { status: 8, status_name: 'Unsafe' })], prev, 2000, next);
    expect(same.events).toEqual([]);

    const charge = { status: 2, status_name: 'Charge', step_and_cycle_format: '[1] 1: CC_Charge, Current', testname: 'T1' };
    const started = pollRecords('a', [reading(0, charge), reading(1, { status: 0, status_name: 'Idle' })], prev, 3000, next);
    expect(started.events.map((e) => [e.channel, e.kind, e.previous_state, e.state, e.details?.transition])).toEqual([[1, 'STATE_CHANGE', 'Idle', 'Charge', 'started'], [2, 'STATE_CHANGE', 'Unsafe', 'Idle', 'fault-cleared']]);
    expect(started.events[0]).toMatchObject({ protocol: 'arbin-cti', device_id: 'a', reason: 'channel 1: Idle → Charge (started)', details: { step_index: '1', cycle_index: '1', test_name: 'T1', status_code: '2', state_class: 'running' } });

    const rest = pollRecords('a', [reading(0, { status: 4, status_name: 'Rest', step_and_cycle_format: '[1] 2: Rest_1, Rest' }), reading(1)], prev, 4000, next);
    expect(rest.events.map((e) => [e.kind, e.previous_state, e.state, e.details?.transition])).toEqual([['STATE_CHANGE', 'Charge', 'Rest', 'step-changed']]);
    const finished = pollRecords('a', [reading(0, { status: 15, status_name: 'Finished' }), reading(1, { comm_failure: 1 })], prev, 5000, next);
    expect(finished.events.map((e) => [e.channel, e.kind, e.state, e.details?.transition, e.details?.severity])).toEqual([[1, 'STATE_CHANGE', 'Finished', 'finished', 'notice'], [2, 'FAULT', 'Idle', 'comm-lost', 'critical']]);
  });
});
