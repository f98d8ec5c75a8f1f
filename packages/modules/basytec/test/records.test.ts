import { describe, expect, it } from 'vitest';
import type { BasytecRow } from '@busbar/driver-basytec';
import { channelNumber, pollRecords, toBasytecReading } from '../src/records.js';
import type { BasytecState, SourceBatch } from '../src/records.js';

const row = (data_set: number, line: number, command: string, extra: Partial<BasytecRow> = {}): BasytecRow => ({
  data_set, timestampMs: Date.UTC(2023, 5, 19, 15, 56, 53) + data_set * 1000, elapsed_s: data_set - 1, line, command, state: 1, level: 0, cycle_count: 2, loop_count: undefined,
  values: { voltage_v: 3.7, current_a: command === 'Discharge' ? -1 : 1, power_w: 3.7, charge_ah: 0.01, energy_wh: 0.04, temperature_1_c: 25.5, resistance_dc_ohm: 0.012 }, extra: { Note: 'x' }, ...extra,
});
const batch = (rows: BasytecRow[], over: Partial<SourceBatch> = {}): SourceBatch => ({
  source: 'file', origin: 'ch14.txt', timestampSource: 'elapsed', rows, errors: [], ack: () => Promise.resolve(),
  test: { name: 'cell_A', channel: '1814 CH14 XCTS_40', start: '19.06.2023 17:56:53', plan: 'capacity.pln', battery: 'A1' }, ...over,
});

describe('module-basytec > records', () => {
  it('channel numbers from Testchannel texts and database channel columns', () => {
    expect(channelNumber('1814 CH14 XCTS_40')).toBe(14);
    expect(channelNumber('0001 ch 03 SIM')).toBe(3);
    expect(channelNumber('7')).toBe(7);
    expect(channelNumber('rack A')).toBeUndefined();
    expect(channelNumber('0')).toBeUndefined();
    expect(channelNumber(undefined)).toBeUndefined();
  });

  it('maps a row to a Reading: SI values with BaSyTec\'s current sign, the test/plan/step/command/state context, the row\'s timestamp', () => {
    const r = toBasytecReading('bt-1', batch([]), row(5, 4, 'Discharge'), 42);
    expect(r).toEqual({
      device_id: 'bt-1', protocol: 'basytec', channel: 14, timestamp: new Date(Date.UTC(2023, 5, 19, 15, 56, 58)), quality: 'GOOD', sequence: 42, record_type: 'cycler_channel',
      values: { voltage_v: 3.7, current_a: -1, power_w: 3.7, charge_ah: 0.01, energy_wh: 0.04, temperature_1_c: 25.5, resistance_dc_ohm: 0.012, data_set: 5, test_time_s: 4, cycle_count: 2, level: 0, step: 4 },
      states: { source: 'file', origin: 'ch14.txt', timestamp_source: 'elapsed', test_name: 'cell_A', plan: 'capacity.pln', battery: 'A1', testchannel: '1814 CH14 XCTS_40', command: 'Discharge', state: '1' },
    });
    const unnamed = toBasytecReading('bt-1', batch([], { source: 'db', origin: 'lab:1', test: { name: 't', channel: 'rack A', start: undefined } }), row(1, 1, 'Pause', { line: undefined, state: undefined }), 1);
    expect(unnamed.channel).toBeNull();
    expect(unnamed.states).toEqual({ source: 'db', origin: 'lab:1', timestamp_source: 'elapsed', test_name: 't', testchannel: 'rack A', command: 'Pause' });
  });

  it('emits test-started at DataSet 1 and step-changed on each Line change, with stable event ids', () => {
    const state: BasytecState = new Map();
    let seq = 0;
    const p1 = pollRecords('bt-1', { batches: [batch([row(1, 1, 'Pause'), row(2, 1, 'Pause'), row(3, 2, 'Charge')])] }, state, () => ++seq);
    expect(p1.readings.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(p1.events.map((e) => [e.details?.transition, e.previous_state, e.state, e.details?.step, e.details?.data_set])).toEqual([
      ['test-started', null, 'Pause', '1', '1'],
      ['step-changed', 'Pause', 'Charge', '2', '3'],
    ]);
    expect(p1.events[0]).toMatchObject({ kind: 'STATE_CHANGE', channel: 14, reason: 'test cell_A started with plan capacity.pln on 1814 CH14 XCTS_40', timestamp: new Date(Date.UTC(2023, 5, 19, 15, 56, 54)) });
    expect(p1.events[1]).toMatchObject({ reason: 'step 1 (Pause) → 2 (Charge)', details: { previous_step: '1', test_name: 'cell_A', plan: 'capacity.pln' } });
    expect(p1.events[0]!.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // across polls: the step is remembered; no event without a change
    const p2 = pollRecords('bt-1', { batches: [batch([row(4, 2, 'Charge'), row(5, 3, 'Pause')])] }, state, () => ++seq);
    expect(p2.events.map((e) => e.details?.transition)).toEqual(['step-changed']);
    // the same rows delivered again (after a crash before the cursor was written) give the same ids
    const again = pollRecords('bt-1', { batches: [batch([row(1, 1, 'Pause'), row(2, 1, 'Pause'), row(3, 2, 'Charge')])] }, new Map(), () => 0);
    expect(again.events.map((e) => e.event_id)).toEqual(p1.events.map((e) => e.event_id));
  });

  it('a test first seen mid-way (collector restarted) starts no event; its next step change does', () => {
    const state: BasytecState = new Map();
    const p = pollRecords('bt-1', { batches: [batch([row(50, 3, 'Charge'), row(51, 4, 'Pause')])] }, state, () => 0);
    expect(p.events.map((e) => e.details?.transition)).toEqual(['step-changed']);
  });

  it('tests are told apart by source and (name, channel, start): two tests in one poll keep their own steps', () => {
    const other = { name: 'cell_B', channel: '1814 CH15 XCTS_40', start: '19.06.2023 18:00:00' };
    const p = pollRecords('bt-1', { batches: [batch([row(1, 1, 'Pause')]), batch([row(1, 5, 'Charge')], { test: other }), batch([row(2, 1, 'Pause')]), batch([row(2, 5, 'Charge')], { test: other })] }, new Map(), () => 0);
    expect(p.events.map((e) => [e.channel, e.details?.transition])).toEqual([[14, 'test-started'], [15, 'test-started']]);
  });
});
