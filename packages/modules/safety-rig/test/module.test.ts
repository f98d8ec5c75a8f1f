import { describe, expect, it } from 'vitest';
import { BusbarError } from '@busbar/core';
import { safetyRigModule } from '../src/module.js';
import { exampleRig } from './support/config.js';

const rig = exampleRig();

/** A session whose PCS answers `values` or throws; records what the interlock was fed. */
function fakeSession(pcs: () => Promise<Record<string, number | boolean>>): { session: never; fed: Array<Record<string, number>> } {
  const fed: Array<Record<string, number>> = [];
  const session = { pcs: { readAll: async () => ({ values: await pcs(), durationMs: 1 }) }, controller: { state: 'normal', input: (_input: string, v: Record<string, number>) => void fed.push(v) } };
  return { session: session as never, fed };
}

describe('Safety rig > module', () => {
  it('feeds the PCS poll to the interlock and maps it to a Reading', async () => {
    const { session, fed } = fakeSession(async () => ({ battery_voltage_v: 378.4, status_fan_on: true }));
    const raw = await safetyRigModule.poll(session, rig);
    expect(fed).toEqual([{ battery_voltage_v: 378.4 }]);
    let seq = 0;
    const ctx = { atMs: 1000, nextSequence: () => ++seq, state: safetyRigModule.initialState!(rig) };
    expect(safetyRigModule.toRecords(rig, raw, ctx)).toEqual({ readings: [expect.objectContaining({ device_id: 'rig-a', values: { battery_voltage_v: 378.4, status_fan_on: 1 }, states: { source: 'pcs', interlock: 'normal' }, sequence: 1 })] });
  });

  it('a PCS read failure does not throw (the CAN and Arduino links stay up): one FAULT per episode, then a recovery event', async () => {
    let fail = true;
    const { session, fed } = fakeSession(async () => {
      if (fail) throw new BusbarError('BB_MODBUS_TIMEOUT', 'no reply in 500 ms');
      return { battery_voltage_v: 378 };
    });
    const ctx = { atMs: 0, nextSequence: () => 1, state: safetyRigModule.initialState!(rig) };
    const first = safetyRigModule.toRecords(rig, await safetyRigModule.poll(session, rig), ctx);
    expect(first).toEqual({ readings: [], events: [expect.objectContaining({ kind: 'FAULT', state: 'pcs_unreadable', error_code: 'BB_MODBUS_TIMEOUT', reason: expect.stringContaining('no reply in 500 ms') })] });
    expect(safetyRigModule.toRecords(rig, await safetyRigModule.poll(session, rig), ctx)).toEqual({ readings: [] });
    expect(fed).toEqual([]); // nothing fed: the PCS input ages, the interlock trips on its age
    fail = false;
    const back = safetyRigModule.toRecords(rig, await safetyRigModule.poll(session, rig), ctx);
    expect(back.readings).toHaveLength(1);
    expect(back.events).toEqual([expect.objectContaining({ kind: 'STATE_CHANGE', previous_state: 'pcs_unreadable', state: 'pcs_readable' })]);
  });

  it('is an exclusive-session protocol with the rig. actions', () => {
    expect(safetyRigModule.sessionMode(rig)).toBe('exclusive');
    expect(Object.keys(safetyRigModule.actions).sort()).toEqual(['rig.pcs_setpoint', 'rig.reset_latch', 'rig.set_outputs', 'rig.start_schedule', 'rig.stop_schedule']);
    // set-points never hold the session's exclusive slot (the PCS poll feeds the interlock)
    expect(Object.entries(safetyRigModule.actions).filter(([, a]) => a.concurrent === true).map(([n]) => n).sort()).toEqual(['rig.pcs_setpoint', 'rig.set_outputs']);
    expect(safetyRigModule.orderAfterConcurrent).toBe(true);
  });
});
