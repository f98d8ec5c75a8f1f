import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { noopLogger } from '@busbar/core';
import { CommandRefusedError } from '@busbar/safety';
import { MACCOR_ACTIONS } from '../src/actions.js';
import { z } from 'zod';
import { maccorDevicesSchema } from '../src/device-config.js';
import { generatedTestName, prepareMaccorCommand } from '../src/actions.js';
import { createMaccorModule } from '../src/module.js';

const maccorCommanderSectionSchema = z.object({ devices: maccorDevicesSchema });

const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };
const VARIABLES = [
  { var_num: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 1 },
  { var_num: 15, name: 'offset_v', unit: 'V', min: -5, max: 5 },
];
const section = maccorCommanderSectionSchema.parse({
  devices: [{ id: 'mac-1', host: '10.0.0.5', channels: 8, directControl: { watchdogMs: 1000, testerWatchdogS: 10 }, channelSettings: { '1-2': { safety: SAFETY, envelope: ENVELOPE, variables: VARIABLES }, '3': { safety: SAFETY }, '5': { aux: true } } }],
});
const device = section.devices[0]!;

function cmd(action: string, parameters: Command['parameters'] = {}, channel: number | null = 1): Command {
  return { command_id: 'c-1', issuer: 't', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'mac-1', channel }, action, parameters, dry_run: false };
}

function refusal(c: Command): { code: string; message: string } {
  try {
    prepareMaccorCommand(c, device, new Date('2025-03-04T05:06:07Z'));
  } catch (err) {
    expect(err).toBeInstanceOf(CommandRefusedError);
    return { code: (err as CommandRefusedError).code, message: (err as Error).message };
  }
  throw new Error('not refused');
}

describe('maccor device configuration', () => {
  it('fills the defaults from the reference (ports 57570/57560, 35 ms per request, exclusive session)', () => {
    expect(device).toMatchObject({ jsonPort: 57570, binaryPort: 57560, session: 'exclusive', requestCostMs: 35, pollIntervalMs: 1000, pollBudgetFraction: 0.5, restVia: 'json' });
    expect(device.directControl).toEqual({ watchdogMs: 1000, minIntervalMs: 100, testerWatchdogS: 10, shutdownRestTimeoutMs: 10_000 });
  });

  it.each([
    ['a shared session', { session: 'shared' }, 'session'],
    ['overlapping channel keys', { channelSettings: { '1-3': { aux: true }, '3': { aux: true } } }, 'channel 3 is configured twice'],
    ['a channel beyond the tester', { channelSettings: { '9': { aux: true } } }, 'within 1..8'],
    ['an envelope without a watchdog', { directControl: undefined, channelSettings: { '1': { envelope: ENVELOPE } } }, 'needs a directControl section'],
    ['a watchdog below 200 ms', { directControl: { watchdogMs: 50, testerWatchdogS: 10 } }, 'watchdogMs'],
    ['pacing below 100 ms', { directControl: { watchdogMs: 1000, testerWatchdogS: 10, minIntervalMs: 50 } }, 'minIntervalMs'],
    ['direct control without the tester watchdog (testerWatchdogS has no default)', { directControl: { watchdogMs: 1000 } }, 'testerWatchdogS is required'],
    ['a variable with min above max', { channelSettings: { '1': { variables: [{ var_num: 1, name: 'x_a', unit: 'A', min: 2, max: 1 }] } } }, 'max (1) must be ≥ min (2)'],
    ['a variable declared twice', { channelSettings: { '1': { variables: [{ var_num: 1, name: 'x_a', unit: 'A', min: 0, max: 1 }, { var_num: 1, name: 'y_a', unit: 'A', min: 0, max: 1 }] } } }, 'VAR1 is declared twice'],
    ['VAR16', { channelSettings: { '1': { variables: [{ var_num: 16, name: 'x_a', unit: 'A', min: 0, max: 1 }] } } }, 'var_num'],
    ['inverted safety voltages', { channelSettings: { '1': { safety: { ...SAFETY, min_voltage_v: 4.4 } } } }, 'min_voltage_v must be below max_voltage_v'],
  ])('refuses %s', (_name, patch, text) => {
    const r = maccorCommanderSectionSchema.safeParse({ devices: [{ id: 'mac-1', host: 'h', channels: 8, directControl: { watchdogMs: 1000, testerWatchdogS: 10 }, ...patch }] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toContain(text);
  });
});

describe('prepareMaccorCommand', () => {
  it('prepares a start with the configured safety limits and a generated unique name', () => {
    const p = prepareMaccorCommand(cmd('maccor.start_test', { procedure: 'CCCV_0.5C', crate_ah: 2.5 }, 3), device, new Date('2025-03-04T05:06:07Z'));
    expect(p.operation).toEqual({ kind: 'start_test', channel: 3, testName: 'mac-1-3-20250304T050607', procName: 'CCCV_0.5C', comment: '', crate: 2.5, safety: SAFETY, preflight: 'required' });
    expect(generatedTestName('mac-1', 3, new Date('2025-03-04T05:06:07Z'))).toBe('mac-1-3-20250304T050607');
  });

  it('prepares direct control with current and voltage active in the initial rest set-point (reference §8.3)', () => {
    expect(prepareMaccorCommand(cmd('maccor.start_direct_control'), device).operation).toEqual({ kind: 'start_direct_control', channel: 1, testName: 'Random', safety: SAFETY, envelope: ENVELOPE, initial: { mode: 'rest', current_a: 0, voltage_v: 4.2 } });
    expect(prepareMaccorCommand(cmd('maccor.set_direct_output', { mode: 'discharge', current_a: 1.5, voltage_v: 3 }), device).operation).toEqual({ kind: 'set_direct_output', channel: 1, setpoint: { mode: 'discharge', current_a: 1.5, voltage_v: 3 } });
    expect(prepareMaccorCommand(cmd('maccor.set_variable', { var_num: 15, value: -2.5 }), device).operation).toEqual({ kind: 'set_variable', channel: 1, varNum: 15, value: -2.5 });
  });

  it.each([
    ['an unknown action', cmd('maccor.format_disk'), 'BB_COMMAND_UNKNOWN_ACTION', 'not supported'],
    ['no channel', cmd('maccor.reset', {}, null), 'BB_COMMAND_PARAMETER_MISSING', 'target.channel'],
    ['channel 9 of 8', cmd('maccor.reset', {}, 9), 'BB_MACCOR_CHANNEL_OUT_OF_RANGE', 'channel 9 is not 1..8'],
    ['a start without safety limits', cmd('maccor.start_test', { procedure: 'p' }, 4), 'BB_MACCOR_SAFETY_LIMITS_MISSING', 'no safety limits'],
    ['a start without procedure', cmd('maccor.start_test', {}), 'BB_COMMAND_PARAMETER_MISSING', 'procedure'],
    ['a procedure with .000', cmd('maccor.start_test', { procedure: 'p.000' }), 'BB_COMMAND_PARAMETER_INVALID', '.000'],
    ['a test name with a slash', cmd('maccor.start_test', { procedure: 'p', test_name: 'a/b' }), 'BB_COMMAND_PARAMETER_INVALID', 'not allowed'],
    ['a comment of 81 characters', cmd('maccor.start_test', { procedure: 'p', comment: 'x'.repeat(81) }), 'BB_COMMAND_PARAMETER_INVALID', '≤ 80'],
    ['crate_ah 0', cmd('maccor.start_test', { procedure: 'p', crate_ah: 0 }), 'BB_COMMAND_OUT_OF_RANGE', 'crate_ah must be > 0'],
    ['VAR16', cmd('maccor.set_variable', { var_num: 16, value: 1 }), 'BB_COMMAND_OUT_OF_RANGE', '1..15'],
    ['a text value', cmd('maccor.set_variable', { var_num: 1, value: 'x' }), 'BB_COMMAND_PARAMETER_INVALID', 'value must be a finite number'],
    ['an undeclared VAR', cmd('maccor.set_variable', { var_num: 2, value: 0.5 }), 'BB_MACCOR_VARIABLE_NOT_DECLARED', 'VAR2 is not a variable declared for channel 1 of mac-1 (channelSettings.*.variables); declared: VAR1 (charge_current_a), VAR15 (offset_v)'],
    ['a VAR on a channel that declares none', cmd('maccor.set_variable', { var_num: 1, value: 0.5 }, 3), 'BB_MACCOR_VARIABLE_NOT_DECLARED', 'none is declared'],
    ['a VAR value above its max', cmd('maccor.set_variable', { var_num: 1, value: 1.5 }), 'BB_COMMAND_OUT_OF_RANGE', 'VAR1 (charge_current_a, A) of channel 1 = 1.5 is outside the allowed range [0, 1]'],
    ['a VAR value below its min', cmd('maccor.set_variable', { var_num: 15, value: -6 }), 'BB_COMMAND_OUT_OF_RANGE', 'VAR15 (offset_v, V) of channel 1 = -6 is outside the allowed range [-5, 5]'],
    ['a power-only charge (current would be sent as disabled)', cmd('maccor.set_direct_output', { mode: 'charge', voltage_v: 4.1, power_w: 5 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'needs a current set-point (current_a)'],
    ['a power-only discharge (current would be sent as disabled)', cmd('maccor.set_direct_output', { mode: 'discharge', voltage_v: 3, power_w: 5 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'needs a current set-point (current_a)'],
    ['direct control without envelope', cmd('maccor.start_direct_control', {}, 3), 'BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED', 'no direct-control envelope'],
    ['a direct test name of 26 characters', cmd('maccor.start_direct_control', { test_name: 'x'.repeat(26) }), 'BB_COMMAND_PARAMETER_INVALID', '1..25'],
    ['an unknown mode', cmd('maccor.set_direct_output', { mode: 'boost', current_a: 1, voltage_v: 4 }), 'BB_COMMAND_PARAMETER_INVALID', 'charge, discharge or rest'],
    ['charge current above the envelope', cmd('maccor.set_direct_output', { mode: 'charge', current_a: 2.5, voltage_v: 4.1 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'charge current 2.5 A is above the envelope maximum 2 A'],
    ['a voltage ceiling above the envelope', cmd('maccor.set_direct_output', { mode: 'charge', current_a: 1, voltage_v: 4.25 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'above the envelope maximum 4.2 V'],
    ['a discharge floor below the envelope', cmd('maccor.set_direct_output', { mode: 'discharge', current_a: 1, voltage_v: 2.5 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'below the envelope minimum 2.8 V'],
    ['charge without a voltage ceiling', cmd('maccor.set_direct_output', { mode: 'charge', current_a: 1 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'voltage ceiling'],
    ['power beyond the envelope', cmd('maccor.set_direct_output', { mode: 'charge', current_a: 2, voltage_v: 4.2, power_w: 12 }), 'BB_MACCOR_ENVELOPE_REFUSED', 'power 12 W'],
  ])('refuses %s', (_name, c, code, text) => {
    const r = refusal(c);
    expect(r.code).toBe(code);
    expect(r.message).toContain(text);
  });
});

describe('createMaccorModule', () => {
  const module = createMaccorModule();

  it('is an exclusive-session protocol whose actions validate purely; only set_direct_output is concurrent', () => {
    expect(module).toMatchObject({ protocol: 'maccor-macnet', actionPrefix: 'maccor.' });
    expect(module.sessionMode(device)).toBe('exclusive');
    expect(Object.keys(module.actions).sort()).toEqual([...MACCOR_ACTIONS].sort());
    expect(Object.entries(module.actions).filter(([, a]) => a.concurrent === true).map(([n]) => n)).toEqual(['maccor.set_direct_output']);
    const suspend = module.actions['maccor.suspend']!;
    expect(suspend.describe(suspend.validate(cmd('maccor.suspend'), device))).toBe('suspend channel 1');
    const setpoint = module.actions['maccor.set_direct_output']!;
    expect(() => setpoint.validate(cmd('maccor.set_direct_output', { mode: 'charge', current_a: 5, voltage_v: 4 }), device)).toThrow(/above the envelope maximum/);
  });

  it('refuses to execute where the module was not attached (the commander): not_sent', async () => {
    const suspend = module.actions['maccor.suspend']!;
    const plan = suspend.validate(cmd('maccor.suspend'), device);
    const ctx = { command: cmd('maccor.suspend'), beforeSend: () => undefined, clock: { nowMs: () => 0 }, logger: noopLogger };
    await expect(suspend.execute({} as never, plan, ctx)).rejects.toMatchObject({ code: 'BB_COMMAND_DEVICE_UNAVAILABLE', outcome: 'not_sent' });
  });
});
