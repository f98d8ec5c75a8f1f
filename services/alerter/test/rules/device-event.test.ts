import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '@busbar/avro';
import { toAlert } from '../../src/alert.js';
import { compileEventMatch, deviceEventEngine, eventText } from '../../src/rules/device-event.js';
import type { DeviceEventRule } from '../../src/rules/device-event.js';
import type { RuleEngine } from '../../src/rules/engine.js';
import { deviceEvent } from '../support/events.js';

/** The `disconnect` rule as config.ts builds it: DISCONNECTED without CONNECTED for 30 s. */
const disconnect: DeviceEventRule = { id: 'plc-down', devices: ['plc-*'], signal: 'disconnected_s', severity: 'CRITICAL', perChannel: false, fire: { kinds: ['DISCONNECTED'] }, clear: { kinds: ['CONNECTED'] }, forMs: 30_000 };

/** One draft at `nowMs`: feeds `events`, then ticks (unless `tick` is false); commits; returns the draft. */
function step(engine: RuleEngine, nowMs: number, events: DeviceEvent[] = [], tick = true) {
  const d = engine.draft(nowMs);
  for (const e of events) d.event(e, 1);
  if (tick) d.tick();
  d.commit();
  return d;
}

describe('alerter > rules > device-event', () => {
  it('matches on kind, state, previous state, error code and details, all given ones at once', () => {
    const m = compileEventMatch({ kinds: ['FAULT'], states: ['Unsafe', 'Error*'], errorCodes: ['BB_ARBIN_*'], details: { severity: ['critical'] } });
    const fault = deviceEvent('FAULT', 0, 'arbin-1', { state: 'Unsafe', error_code: 'BB_ARBIN_CHANNEL_FAULT', details: { severity: 'critical' } });
    expect(m(fault)).toBe(true);
    expect(m({ ...fault, kind: 'STATE_CHANGE' })).toBe(false);
    expect(m({ ...fault, state: 'Rest' })).toBe(false);
    expect(m({ ...fault, error_code: null })).toBe(false); // an absent field does not match a glob
    expect(m({ ...fault, details: {} })).toBe(false);
    expect(compileEventMatch({ previousStates: ['normal'] })(deviceEvent('STATE_CHANGE', 0, 'rig', { previous_state: 'normal', state: 'safe' }))).toBe(true);
  });

  it('writes one line per event', () => {
    expect(eventText(deviceEvent('DISCONNECTED', 0, 'plc-1', { reason: 'connection lost', error_code: 'BB_MODBUS_CONNECTION' }))).toBe('DISCONNECTED: connection lost (BB_MODBUS_CONNECTION)');
    expect(eventText(deviceEvent('STATE_CHANGE', 0, 'rig-1', { previous_state: 'warning', state: 'safe' }))).toBe('STATE_CHANGE warning → safe');
  });

  it('fires a disconnect that lasts 30 s at its deadline and resolves on CONNECTED', () => {
    const e = deviceEventEngine(disconnect);
    const down = step(e, 10_000, [deviceEvent('DISCONNECTED', 10_000, 'plc-1', { reason: 'connection lost' })]);
    expect(down.transitions).toEqual([]);
    expect(down.writes).toEqual([{ partition: 1, key: 'plc-down|plc-1|', record: { rule: 'plc-down', deviceId: 'plc-1', channel: null, waitingSinceMs: 10_000 } }]);
    expect(step(e, 39_999).transitions).toEqual([]);
    const fired = step(e, 41_000).transitions;
    expect(fired).toMatchObject([{ state: 'FIRING', severity: 'CRITICAL', signal: 'disconnected_s', value: 30, threshold: 30, atMs: 40_000, channel: null }]);
    expect(toAlert(fired[0]!).message).toBe('CRITICAL: plc-1 DISCONNECTED: connection lost, for 30 s (rule plc-down)');
    // repeated DISCONNECTED (reconnect attempts) while firing: nothing
    expect(step(e, 50_000, [deviceEvent('DISCONNECTED', 50_000)]).transitions).toEqual([]);
    const up = step(e, 70_000, [deviceEvent('CONNECTED', 70_000, 'plc-1', { reason: 'connected' })]);
    expect(up.transitions).toMatchObject([{ state: 'RESOLVED', value: 60, atMs: 70_000 }]);
    expect(toAlert(up.transitions[0]!).alert_id).toBe(toAlert(fired[0]!).alert_id);
    expect(up.writes.at(-1)).toEqual({ partition: 1, key: 'plc-down|plc-1|', record: null });
  });

  it('sends nothing for an outage shorter than forMs, and forgets it (tombstone)', () => {
    const e = deviceEventEngine(disconnect);
    step(e, 0, [deviceEvent('DISCONNECTED', 0)]);
    const up = step(e, 5_000, [deviceEvent('CONNECTED', 5_000)]);
    expect(up.transitions).toEqual([]);
    expect(up.writes).toEqual([{ partition: 1, key: 'plc-down|plc-1|', record: null }]);
    expect(step(e, 100_000).transitions).toEqual([]);
  });

  it('fires from an event past the deadline when no tick came between (a batch of old events)', () => {
    const e = deviceEventEngine(disconnect);
    const d = step(e, 100_000, [deviceEvent('DISCONNECTED', 0), deviceEvent('CONNECTED', 45_000)], false);
    expect(d.transitions.map((t) => `${t.state}@${t.atMs}`)).toEqual(['FIRING@30000', 'RESOLVED@45000']);
  });

  it('fires a FAULT at once (forMs 0), per channel, and resolves on the clearing event the protocol sends', () => {
    const e = deviceEventEngine({ id: 'cycler-fault', devices: ['*'], signal: 'device_event', severity: 'CRITICAL', perChannel: true, fire: { kinds: ['FAULT'] }, clear: { kinds: ['STATE_CHANGE'], details: { transition: ['fault-cleared'] } }, forMs: 0 });
    const fault = deviceEvent('FAULT', 1_000, 'arbin-1', { channel: 3, previous_state: 'Charge', state: 'Unsafe', reason: 'channel 3: Charge → Unsafe (fault)', details: { transition: 'fault' } });
    const fired = step(e, 1_000, [fault]).transitions;
    expect(fired).toMatchObject([{ state: 'FIRING', channel: 3, atMs: 1_000, value: 0, threshold: null, seriesKey: 'cycler-fault|arbin-1|3' }]);
    expect(toAlert(fired[0]!).message).toBe('CRITICAL: arbin-1 channel 3 FAULT Charge → Unsafe: channel 3: Charge → Unsafe (fault) (rule cycler-fault)');
    // another channel's state change and a non-clearing one do nothing
    expect(step(e, 2_000, [deviceEvent('STATE_CHANGE', 2_000, 'arbin-1', { channel: 4, details: { transition: 'fault-cleared' } }), deviceEvent('STATE_CHANGE', 2_000, 'arbin-1', { channel: 3, details: { transition: 'status-changed' } })]).transitions).toEqual([]);
    const cleared = step(e, 3_000, [deviceEvent('STATE_CHANGE', 3_000, 'arbin-1', { channel: 3, previous_state: 'Unsafe', state: 'Rest', details: { transition: 'fault-cleared' } })]).transitions;
    expect(cleared).toMatchObject([{ state: 'RESOLVED', channel: 3, value: 2, description: 'STATE_CHANGE Unsafe → Rest' }]);
  });

  it('resolves a fault no protocol clears after the quiet time; a repeated fault restarts it', () => {
    const e = deviceEventEngine({ id: 'clock', devices: ['corus-*'], signal: 'device_event', severity: 'WARNING', perChannel: false, fire: { kinds: ['FAULT'], errorCodes: ['BB_CORUS_CLOCK_SET_BACK'] }, forMs: 0, quietMs: 60_000 });
    const setBack = (at: number): DeviceEvent => deviceEvent('FAULT', at, 'corus-1', { state: 'clock_set_back', error_code: 'BB_CORUS_CLOCK_SET_BACK' });
    expect(step(e, 0, [setBack(0)]).transitions).toMatchObject([{ state: 'FIRING', severity: 'WARNING' }]);
    const again = step(e, 40_000, [setBack(40_000)]);
    expect(again.transitions).toEqual([]);
    expect(again.writes).toMatchObject([{ record: { timerMs: 40_000, episode: 1 } }]); // the restarted quiet time is durable
    expect(step(e, 99_999).transitions).toEqual([]);
    expect(step(e, 100_000).transitions).toMatchObject([{ state: 'RESOLVED', atMs: 100_000, description: 'no matching event for 60 s' }]);
  });

  it('watches the safety rig per device: fires while safe, resolves back to normal, ignores action and schedule events', () => {
    const e = deviceEventEngine({ id: 'rig-safe', devices: ['rig-*'], signal: 'device_event', severity: 'CRITICAL', perChannel: false, fire: { kinds: ['STATE_CHANGE'], states: ['safe', 'latched'] }, clear: { kinds: ['STATE_CHANGE'], states: ['normal', 'warning'] }, forMs: 0 });
    const t = (state: string, at: number, channel: number | null, previous: string | null = null): DeviceEvent => deviceEvent('STATE_CHANGE', at, 'rig-1', { state, previous_state: previous, channel });
    const out = [
      step(e, 1, [t('warning', 1, 2, 'normal')]),
      step(e, 2, [t('safe', 2, 2, 'warning')]), // the BMU node as channel
      step(e, 3, [t('action:outputs', 3, null), t('schedule:paused', 3, null)]),
      step(e, 4, [t('normal', 4, null, 'safe')]), // back to normal: no channel
    ].flatMap((d) => d.transitions);
    expect(out.map((x) => `${x.state}@${x.atMs}:${x.seriesKey}`)).toEqual(['FIRING@2:rig-safe|rig-1|', 'RESOLVED@4:rig-safe|rig-1|']);
  });

  it('after a restore, fires a pending disconnect at its original deadline and keeps a firing one (no second FIRING)', () => {
    const e = deviceEventEngine(disconnect);
    e.restore(1, [
      { rule: 'plc-down', deviceId: 'plc-1', channel: null, waitingSinceMs: 10_000 },
      { rule: 'plc-down', deviceId: 'plc-2', channel: null, severity: 'CRITICAL', episode: 2, episodeStartMs: 5_000, alertId: 'x', updatedMs: 5_000, timerMs: 0 },
    ], 200_000);
    const d = step(e, 200_000, [deviceEvent('DISCONNECTED', 199_000, 'plc-2')]);
    expect(d.transitions).toMatchObject([{ deviceId: 'plc-1', state: 'FIRING', atMs: 40_000 }]);
    const up = step(e, 201_000, [deviceEvent('CONNECTED', 201_000, 'plc-2')]).transitions;
    expect(up).toMatchObject([{ deviceId: 'plc-2', state: 'RESOLVED', episode: 2, episodeStartMs: 5_000, value: 201 }]);
  });
});
