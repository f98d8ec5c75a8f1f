import { describe, expect, it } from 'vitest';
import { isBusbarError } from '@busbar/core';
import { decodeStateRecord, encodeStateRecord, stateRecordOf } from '../../src/rule-state/record.js';
import type { StoredSeries } from '../../src/rule-state/record.js';
import type { ThresholdRule, Transition } from '../../src/rules/threshold.js';

const rule: ThresholdRule = { id: 'cell-temp', devices: ['*'], signal: 'temperature_c', direction: 'above', warning: 45, critical: 60, clear: 40, forMs: 0 };
const firing: Transition = { rule, deviceId: 'arbin-1', channel: 3, state: 'FIRING', severity: 'WARNING', value: 50, threshold: 45, atMs: 1_700_000_000_500, seriesKey: 'cell-temp|arbin-1|3', episode: 2, episodeStartMs: 1_700_000_000_000 };

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return isBusbarError(err) ? err.code : `not a BusbarError: ${String(err)}`;
  }
  return 'no error';
}

describe('alerter > state record', () => {
  it('writes a firing series as JSON keyed by its series key, with the fields spelled out', () => {
    const r = stateRecordOf(firing, 'id-1');
    expect(r.key).toBe('cell-temp|arbin-1|3');
    // the bytes, written out by hand (not by the encoder): the contract of the state topic
    expect(JSON.parse(r.value!.toString('utf8'))).toEqual({ v: 1, rule: 'cell-temp', device_id: 'arbin-1', channel: 3, severity: 'WARNING', episode: 2, episode_start_ms: 1_700_000_000_000, alert_id: 'id-1', updated_ms: 1_700_000_000_500 });
  });

  it('reads back what it wrote', () => {
    const r = stateRecordOf(firing, 'id-1');
    expect(decodeStateRecord(r.key, r.value!)).toEqual({ rule: 'cell-temp', deviceId: 'arbin-1', channel: 3, severity: 'WARNING', episode: 2, episodeStartMs: 1_700_000_000_000, alertId: 'id-1', updatedMs: 1_700_000_000_500 });
  });

  it('reads a device without channel (empty last key segment)', () => {
    const value = Buffer.from('{"v":1,"rule":"r","device_id":"psu-1","channel":null,"severity":"CRITICAL","episode":1,"episode_start_ms":5,"alert_id":"a","updated_ms":6}');
    expect(decodeStateRecord('r|psu-1|', value)).toMatchObject({ deviceId: 'psu-1', channel: null, severity: 'CRITICAL' });
  });

  it('writes a tombstone (null value) when the series resolved', () => {
    expect(stateRecordOf({ ...firing, state: 'RESOLVED', threshold: 40, value: 39 }, 'id-1')).toEqual({ key: 'cell-temp|arbin-1|3', value: null });
  });

  it.each([
    ['not JSON', 'r|d|', '{"v":1,'],
    ['an unknown version', 'r|d|', '{"v":2,"rule":"r","device_id":"d","channel":null,"severity":"CRITICAL","episode":1,"episode_start_ms":5,"alert_id":"a","updated_ms":6}'],
    ['a missing episode', 'r|d|', '{"v":1,"rule":"r","device_id":"d","channel":null,"severity":"CRITICAL","episode_start_ms":5,"alert_id":"a","updated_ms":6}'],
    ['an unknown severity', 'r|d|', '{"v":1,"rule":"r","device_id":"d","channel":null,"severity":"INFO","episode":1,"episode_start_ms":5,"alert_id":"a","updated_ms":6}'],
    ['an extra field', 'r|d|', '{"v":1,"rule":"r","device_id":"d","channel":null,"severity":"CRITICAL","episode":1,"episode_start_ms":5,"alert_id":"a","updated_ms":6,"x":1}'],
    ['fields naming another series than the key', 'r|other|', '{"v":1,"rule":"r","device_id":"d","channel":null,"severity":"CRITICAL","episode":1,"episode_start_ms":5,"alert_id":"a","updated_ms":6}'],
  ])('refuses %s with BB_ALERTER_STATE_UNDECODABLE', (_what, key, text) => {
    expect(codeOf(() => decodeStateRecord(key, Buffer.from(text)))).toBe('BB_ALERTER_STATE_UNDECODABLE');
  });

  it('writes and reads back a waiting series and a firing one with its timer', () => {
    const waiting: StoredSeries = { rule: 'down', deviceId: 'plc-1', channel: null, waitingSinceMs: 1_700_000_000_000 };
    expect(JSON.parse(encodeStateRecord(waiting).toString('utf8'))).toEqual({ v: 1, rule: 'down', device_id: 'plc-1', channel: null, waiting_since_ms: 1_700_000_000_000 });
    expect(decodeStateRecord('down|plc-1|', encodeStateRecord(waiting))).toEqual(waiting);
    const timed: StoredSeries = { rule: 'clock', deviceId: 'corus-1', channel: null, severity: 'WARNING', episode: 1, episodeStartMs: 5, alertId: 'a', updatedMs: 9, timerMs: 9 };
    expect(decodeStateRecord('clock|corus-1|', encodeStateRecord(timed))).toEqual(timed);
  });

  it('refuses a record that is neither firing nor waiting, or mixes the two', () => {
    const bad = (o: object): string => codeOf(() => decodeStateRecord('down|plc-1|', Buffer.from(JSON.stringify(o))));
    expect(bad({ v: 1, rule: 'down', device_id: 'plc-1', channel: null })).toBe('BB_ALERTER_STATE_UNDECODABLE');
    expect(bad({ v: 1, rule: 'down', device_id: 'plc-1', channel: null, waiting_since_ms: 1, severity: 'WARNING' })).toBe('BB_ALERTER_STATE_UNDECODABLE');
    expect(bad({ v: 1, rule: 'down', device_id: 'plc-2', channel: null, waiting_since_ms: 1 })).toBe('BB_ALERTER_STATE_UNDECODABLE');
  });
});
