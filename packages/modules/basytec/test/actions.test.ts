import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { EXAMPLE_RCI_TEMPLATES } from '@busbar/driver-basytec';
import { describeBasytecPlan, replyDetails, validateBasytecCommand } from '../src/actions.js';
import { basytecDevicesSchema } from '../src/device-config.js';
import type { BasytecDeviceConfig } from '../src/device-config.js';

const device = (rci: Record<string, unknown> | undefined): BasytecDeviceConfig => ({
  ...basytecDevicesSchema.parse([{ id: 'bt-1', timeZone: 'UTC', resultFiles: { dir: '/x' }, ...(rci ? { rci: { host: 'h', port: 1, templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln', 'pulse.pln'], ...rci } } : {}) }])[0]!,
  cursorFile: '/tmp/c.json',
});
const cmd = (action: string, channel: number | null, parameters: Command['parameters'] = {}): Command => ({
  command_id: 'c1', issuer: 't', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'bt-1', channel }, action, parameters, dry_run: false,
});
const refusal = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('no refusal');
};

describe('module-basytec > actions', () => {
  it('validates start (plan from the configured list) and stop into plans, described in one line', () => {
    const d = device({});
    const start = validateBasytecCommand(cmd('basytec.start_test', 3, { plan: 'pulse.pln' }), d);
    expect(start).toEqual({ kind: 'start', channel: 3, plan: 'pulse.pln' });
    expect(describeBasytecPlan(start)).toBe('start plan pulse.pln on channel 3');
    const stop = validateBasytecCommand(cmd('basytec.stop_test', 3), d);
    expect(stop).toEqual({ kind: 'stop', channel: 3 });
    expect(describeBasytecPlan(stop)).toBe('stop the test on channel 3');
  });

  it('refuses, before anything is sent, with a code naming the reason', () => {
    const d = device({ channels: [1, 2, 3] });
    expect(refusal(() => validateBasytecCommand(cmd('basytec.start_test', 2, { plan: 'evil.pln' }), d))).toEqual({ code: 'BB_BASYTEC_PLAN_NOT_ALLOWED', message: 'plan "evil.pln" is not in the plans of tester bt-1 (capacity.pln, pulse.pln)' });
    expect(refusal(() => validateBasytecCommand(cmd('basytec.start_test', 2), d)).code).toBe('BB_COMMAND_PARAMETER_MISSING');
    expect(refusal(() => validateBasytecCommand(cmd('basytec.start_test', 2, { plan: 7 }), d)).code).toBe('BB_COMMAND_PARAMETER_INVALID');
    expect(refusal(() => validateBasytecCommand(cmd('basytec.stop_test', null), d)).code).toBe('BB_BASYTEC_CHANNEL_REQUIRED');
    expect(refusal(() => validateBasytecCommand(cmd('basytec.stop_test', 9), d))).toEqual({ code: 'BB_BASYTEC_CHANNEL_NOT_CONFIGURED', message: 'channel 9 is not one of the channels of tester bt-1 (1, 2, 3)' });
    expect(refusal(() => validateBasytecCommand(cmd('basytec.set_current', 1, { current_a: 1 }), d)).code).toBe('BB_COMMAND_UNKNOWN_ACTION');
    expect(refusal(() => validateBasytecCommand(cmd('basytec.stop_test', 1), device(undefined))).code).toBe('BB_BASYTEC_RCI_NOT_CONFIGURED');
  });

  it('puts the RCI request, reply and named groups into the result details', () => {
    expect(replyDetails({ command: 'start', request: 'START 3 a.pln', reply: 'OK START 3', groups: { slot: '7' }, sentAtMs: 0 })).toEqual({ rci_command: 'start', rci_request: 'START 3 a.pln', rci_reply: 'OK START 3', rci_slot: '7' });
  });
});
