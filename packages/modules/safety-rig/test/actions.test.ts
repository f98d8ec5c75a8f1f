import { describe, expect, it } from 'vitest';
import { errorCode, errorOutcome } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { RIG_ACTIONS, rigActions, validatePcsSetpoint, validateSetOutputs, validateStartSchedule } from '../src/actions.js';
import { exampleRig } from './support/config.js';

const rig = exampleRig();
const cmd = (action: string, parameters: Command['parameters']): Command => ({ command_id: 'c1', issuer: 't', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'rig-a', channel: null }, action, parameters, dry_run: false });

function refusal(fn: () => unknown): { code: string; message: string; outcome: string | undefined } {
  try {
    fn();
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message, outcome: errorOutcome(err) };
  }
  throw new Error('expected a refusal');
}

describe('Safety rig > actions', () => {
  it('rig.set_outputs: whitelisted names only, booleans or 0/1', () => {
    expect(validateSetOutputs(cmd(RIG_ACTIONS.setOutputs, { pump: true, fan: 0 }), rig)).toEqual({ pump: true, fan: false });
    expect(refusal(() => validateSetOutputs(cmd(RIG_ACTIONS.setOutputs, { pump: true, pin13: true }), rig))).toEqual({ code: 'BB_RIG_PIN_NOT_ALLOWED', message: expect.stringMatching(/output pin13 is not one of the rig's outputs \(pump, fan, relay1, relay2, relay3\)/), outcome: 'refused' });
    expect(refusal(() => validateSetOutputs(cmd(RIG_ACTIONS.setOutputs, { pump: 'yes' }), rig)).code).toBe('BB_COMMAND_PARAMETER_INVALID');
    expect(refusal(() => validateSetOutputs(cmd(RIG_ACTIONS.setOutputs, {}), rig)).code).toBe('BB_COMMAND_PARAMETER_MISSING');
  });

  it('rig.pcs_setpoint: mode and value within the envelope, or off', () => {
    expect(validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'current', value: -35 }), rig)).toEqual({ mode: 'current', value: -35 });
    expect(validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'power', value: 30 }), rig)).toEqual({ mode: 'power', value: 30 });
    expect(validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'off' }), rig)).toBe('off');
    expect(refusal(() => validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'current', value: 101 }), rig))).toEqual(expect.objectContaining({ code: 'BB_COMMAND_OUT_OF_RANGE', message: expect.stringContaining('[-100, 100]') }));
    expect(refusal(() => validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'power', value: -30.5 }), rig)).code).toBe('BB_COMMAND_OUT_OF_RANGE');
    expect(refusal(() => validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'voltage', value: 380 }), rig)).code).toBe('BB_COMMAND_PARAMETER_INVALID');
    expect(refusal(() => validatePcsSetpoint(cmd(RIG_ACTIONS.pcsSetpoint, { mode: 'power' }), rig)).code).toBe('BB_COMMAND_PARAMETER_MISSING');
  });

  it('rig.start_schedule: configured schedules only', () => {
    expect(validateStartSchedule(cmd(RIG_ACTIONS.startSchedule, { schedule: 'characterization' }), rig)).toEqual(expect.objectContaining({ name: 'characterization', repeat: false }));
    expect(refusal(() => validateStartSchedule(cmd(RIG_ACTIONS.startSchedule, { schedule: '../../etc/passwd' }), rig))).toEqual(expect.objectContaining({ code: 'BB_COMMAND_PARAMETER_INVALID', message: expect.stringContaining('configured: characterization') }));
  });

  it('every action is in the rig. namespace and describes its plan', () => {
    expect(Object.keys(rigActions).every((n) => n.startsWith('rig.'))).toBe(true);
    expect(rigActions[RIG_ACTIONS.pcsSetpoint].describe({ mode: 'power', value: -15.72 } as never)).toBe('PCS power set-point -15.72 kW');
    expect(rigActions[RIG_ACTIONS.setOutputs].describe({ pump: true, relay1: false } as never)).toBe('outputs pump=on relay1=off');
  });
});
