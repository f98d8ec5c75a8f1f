import { describe, expect, it } from 'vitest';
import type { ChannelReading, ChannelStatus } from '@busbar/driver-maccor-macnet';
import { pollRecords, toReading, transitionEvent } from '../src/records.js';
import type { MaccorState, TesterPoll } from '../src/records.js';

const status = (channel: number, stat: number, rf1 = 0, rf2 = 0): ChannelStatus => ({ channel, stat, stat_name: stat === 2 ? 'Active' : 'Available', rf1, rf1_name: 'x', rf2, rf2_name: rf2 === 197 ? 'Safety voltage' : 'none' });
const detail = (channel: number): ChannelReading => ({
  ...status(channel, 2, 1), channelIndex0: channel - 1, voltage_v: 3.9, current_a: 1.2, capacity_ah: 0.5, energy_wh: 1.9, test_time_s: 100, step_time_s: 40, cycle: 2, step: 3, record_number: 77, tester_time: '2025-03-04T05:06:07',
});

function poll(withDetail: boolean): TesterPoll {
  return {
    statuses: [status(1, 2, 1)], voltages: new Map([[1, 3.91]]), currents: new Map([[1, 1.21]]), testTimes: new Map([[1, 101]]),
    details: new Map(withDetail ? [[1, { reading: detail(1), aux: [25.5, 0.1], atMs: 1_000 }]] : []), detailChannels: withDetail ? [1] : [],
  };
}

describe('toReading', () => {
  it('takes V, I and test time from the bulk reads and the rest from the latest (4,7), with its age', () => {
    const r = toReading('mac-1', status(1, 2, 1), poll(true), 3_500, 9);
    expect(r).toMatchObject({ device_id: 'mac-1', protocol: 'maccor-macnet', channel: 1, quality: 'GOOD', sequence: 9 });
    expect(r.values).toEqual({ stat: 2, rf1: 1, rf2: 0, voltage_v: 3.91, current_a: 1.21, test_time_s: 101, capacity_ah: 0.5, energy_wh: 1.9, step_time_s: 40, cycle: 2, step: 3, record_number: 77, detail_age_s: 2.5, aux_1: 25.5, aux_2: 0.1 });
    expect(r.states).toEqual({ status: 'Active', rf1_name: 'x', rf2_name: 'none', phase: 'running', tester_time: '2025-03-04T05:06:07' });
  });

  it('is UNCERTAIN until the channel details were read once', () => {
    const r = toReading('mac-1', status(1, 2, 1), poll(false), 3_500, 1);
    expect(r.quality).toBe('UNCERTAIN');
    expect(Object.keys(r.values).sort()).toEqual(['current_a', 'rf1', 'rf2', 'stat', 'test_time_s', 'voltage_v']);
  });
});

describe('transitionEvent', () => {
  const at = new Date(0);
  it('reports a start as STATE_CHANGE and a safety stop as FAULT', () => {
    expect(transitionEvent('mac-1', 4, { stat: 0, rf1: 0, rf2: 0 }, { stat: 2, rf1: 1, rf2: 0 }, at)).toMatchObject({ kind: 'STATE_CHANGE', channel: 4, previous_state: 'idle', state: 'running', details: { transition: 'started' } });
    expect(transitionEvent('mac-1', 4, { stat: 2, rf1: 1, rf2: 0 }, { stat: 5, rf1: 29, rf2: 197 }, at)).toMatchObject({ kind: 'FAULT', previous_state: 'running', state: 'fault', details: { transition: 'safety_stop', rf2: '197' } });
  });

  it('stays quiet on the first sample, no change and step changes', () => {
    expect(transitionEvent('mac-1', 1, undefined, { stat: 2, rf1: 1, rf2: 0 }, at)).toBeUndefined();
    expect(transitionEvent('mac-1', 1, { stat: 2, rf1: 1, rf2: 0, step: 1 }, { stat: 2, rf1: 1, rf2: 0, step: 1 }, at)).toBeUndefined();
    expect(transitionEvent('mac-1', 1, { stat: 2, rf1: 1, rf2: 0, step: 1 }, { stat: 2, rf1: 1, rf2: 0, step: 2 }, at)).toBeUndefined();
  });
});

describe('pollRecords', () => {
  it('numbers one Reading per channel and reports a state change between two polls, keeping the state across calls', () => {
    const state: MaccorState = new Map();
    let seq = 40;
    const idle: TesterPoll = { ...poll(false), statuses: [status(1, 0), status(2, 0)] };
    const first = pollRecords('mac-1', idle, state, 1_000, () => ++seq);
    expect(first.readings.map((r) => [r.channel, r.sequence])).toEqual([[1, 41], [2, 42]]);
    expect(first.events).toEqual([]); // a first sample is not a change
    const running: TesterPoll = { ...poll(false), statuses: [status(1, 2, 1), status(2, 0)] };
    const second = pollRecords('mac-1', running, state, 2_000, () => ++seq);
    expect(second.events).toHaveLength(1);
    expect(second.events![0]).toMatchObject({ device_id: 'mac-1', channel: 1, kind: 'STATE_CHANGE', state: 'running', timestamp: new Date(2_000) });
    expect(state.get(1)).toMatchObject({ stat: 2, rf1: 1 });
    expect(pollRecords('mac-1', running, state, 3_000, () => ++seq).events).toEqual([]);
  });
});
