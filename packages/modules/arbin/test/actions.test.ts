import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { z } from 'zod';
import { commandResolver, deviceTable } from '@busbar/protocol';
import { ARBIN_ACTIONS, describeArbinPlan, validateArbinCommand } from '../src/actions.js';
import { arbinDeviceSchema, arbinDevicesSchema } from '../src/device-config.js';
import { createArbinModule } from '../src/module.js';

const arbinCommanderSectionSchema = z.object({ devices: arbinDevicesSchema }).strict();

const device = arbinDeviceSchema.parse({
  id: 'arbin-1',
  host: '127.0.0.1',
  channels: [1, 2, 3],
  metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 2 }],
  channelMetaVariables: { '3': [{ mv: 2, name: 'voltage_limit_v', unit: 'V', min: 3, max: 4.2 }] },
  allowedSchedules: ['Busbar_CC.sdx'],
  maxStep: 4,
});

function cmd(action: string, parameters: Command['parameters'], channel: number | null = 1): Command {
  return { command_id: 'c-1', issuer: 'test', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'arbin-1', channel }, action, parameters, dry_run: false };
}

describe('modules > arbin > validateArbinCommand', () => {
  it('turns each action into a plan with the 1-based channel', () => {
    const cases: Array<[Command, unknown, string]> = [
      [cmd(ARBIN_ACTIONS.assignSchedule, { schedule: 'Busbar_CC.sdx' }, 2), { kind: 'assign_schedule', channel: 2, schedule: 'Busbar_CC.sdx' }, 'assign Busbar_CC.sdx to channel 2'],
      [cmd(ARBIN_ACTIONS.start, { schedule: 'Busbar_CC.sdx', test_name: 'T1' }), { kind: 'start', channel: 1, schedule: 'Busbar_CC.sdx', testName: 'T1', assign: true }, 'assign Busbar_CC.sdx and start test T1 on channel 1'],
      [cmd(ARBIN_ACTIONS.stop, {}), { kind: 'stop', channel: 1 }, 'stop channel 1'],
      [cmd(ARBIN_ACTIONS.resume, {}, 3), { kind: 'resume', channel: 3 }, 'resume channel 3'],
      [cmd(ARBIN_ACTIONS.jumpToStep, { step: 4 }), { kind: 'jump_to_step', channel: 1, step: 4 }, 'jump channel 1 to step 4'],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: 1.5 }), { kind: 'set_meta_variable', channel: 1, mv: 1, value: 1.5 }, 'set MV_UD1 (charge_current_a) of channel 1 = 1.5 A'],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 'MV_UD1', value: 0 }), { kind: 'set_meta_variable', mv: 1, value: 0 }, 'set MV_UD1 (charge_current_a) of channel 1 = 0 A'],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 'voltage_limit_v', value: 4.2 }, 3), { kind: 'set_meta_variable', channel: 3, mv: 2, value: 4.2 }, 'set MV_UD2 (voltage_limit_v) of channel 3 = 4.2 V'],
    ];
    for (const [c, plan, summary] of cases) {
      const p = validateArbinCommand(c, device);
      expect(p).toMatchObject(plan as object);
      expect(describeArbinPlan(p)).toBe(summary);
    }
  });

  it('refuses before sending, with the exact code and a sentence naming the parameter and limit', () => {
    const cases: Array<[Command, string, RegExp]> = [
      [cmd('arbin.format_disk', {}), 'BB_COMMAND_UNKNOWN_ACTION', /action arbin\.format_disk is not supported by Arbin cyclers/],
      [cmd(ARBIN_ACTIONS.stop, {}, null), 'BB_ARBIN_CHANNEL_REQUIRED', /arbin\.stop needs target\.channel/],
      [cmd(ARBIN_ACTIONS.stop, {}, 0), 'BB_COMMAND_PARAMETER_INVALID', /1-based channel number, got 0/],
      [cmd(ARBIN_ACTIONS.stop, {}, 4), 'BB_ARBIN_CHANNEL_NOT_CONFIGURED', /channel 4 is not configured for cycler arbin-1 \(configured: 1, 2, 3\)/],
      [cmd(ARBIN_ACTIONS.assignSchedule, {}), 'BB_COMMAND_PARAMETER_MISSING', /parameter schedule is required/],
      [cmd(ARBIN_ACTIONS.assignSchedule, { schedule: 7 }), 'BB_COMMAND_PARAMETER_INVALID', /schedule must be a non-empty string, got 7/],
      [cmd(ARBIN_ACTIONS.assignSchedule, { schedule: 'Other.sdx' }), 'BB_ARBIN_SCHEDULE_NOT_ALLOWED', /"Other\.sdx" is not in allowedSchedules of cycler arbin-1 \(Busbar_CC\.sdx\)/],
      [cmd(ARBIN_ACTIONS.start, { schedule: 'Busbar_CC.sdx' }), 'BB_COMMAND_PARAMETER_MISSING', /parameter test_name is required/],
      [cmd(ARBIN_ACTIONS.start, { test_name: 'T', assign: false }), 'BB_COMMAND_PARAMETER_MISSING', /schedule is required: cycler arbin-1 restricts schedules/],
      [cmd(ARBIN_ACTIONS.start, { test_name: 'T', schedule: 'Busbar_CC.sdx', assign: 'yes' }), 'BB_COMMAND_PARAMETER_INVALID', /assign must be a boolean/],
      [cmd(ARBIN_ACTIONS.start, { test_name: 'x'.repeat(200), schedule: 'Busbar_CC.sdx' }), 'BB_ARBIN_INVALID_ARGUMENT', /test/],
      [cmd(ARBIN_ACTIONS.jumpToStep, { step: 0 }), 'BB_COMMAND_PARAMETER_INVALID', /step must be a 1-based step number, got 0/],
      [cmd(ARBIN_ACTIONS.jumpToStep, { step: 1.5 }), 'BB_COMMAND_PARAMETER_INVALID', /got 1\.5/],
      [cmd(ARBIN_ACTIONS.jumpToStep, { step: 5 }), 'BB_ARBIN_STEP_OUT_OF_RANGE', /step 5 is above maxStep 4 of cycler arbin-1/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { value: 1 }), 'BB_COMMAND_PARAMETER_MISSING', /parameter mv is required/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 17, value: 1 }), 'BB_COMMAND_PARAMETER_INVALID', /mv must be 1\.\.16 \(MV_UD1\.\.MV_UD16\), got 17/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: true, value: 1 }), 'BB_COMMAND_PARAMETER_INVALID', /mv must be 1\.\.16, MV_UDn or a configured MV name/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 2, value: 1 }), 'BB_ARBIN_MV_NOT_CONFIGURED', /2 is not a meta-variable configured for channel 1 of cycler arbin-1; declared: MV_UD1 \(charge_current_a\)/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: 1 }, 3), 'BB_ARBIN_MV_NOT_CONFIGURED', /declared: MV_UD2 \(voltage_limit_v\)/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1 }), 'BB_COMMAND_PARAMETER_MISSING', /parameter value is required/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: '1' }), 'BB_COMMAND_PARAMETER_INVALID', /must be a finite number/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: 2.5 }), 'BB_COMMAND_OUT_OF_RANGE', /^MV_UD1 \(charge_current_a, A\) of channel 1 = 2\.5 is outside the allowed range \[0, 2\]$/],
      [cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: -0.1 }), 'BB_COMMAND_OUT_OF_RANGE', /-0\.1 is outside the allowed range \[0, 2\]/],
    ];
    for (const [c, code, message] of cases) {
      let err: unknown;
      try {
        validateArbinCommand(c, device);
      } catch (e) {
        err = e;
      }
      expect(err, `${c.action} ${JSON.stringify(c.parameters)}`).toMatchObject({ code });
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('modules > arbin > config', () => {
  it('defaults port 9031, poll 1 s, 10 s timeout, 200 ms MV spacing, every channel, exclusive session', () => {
    const d = arbinDeviceSchema.parse({ id: 'a', host: 'h' });
    expect(d).toMatchObject({ port: 9031, pollIntervalMs: 1000, requestTimeoutMs: 10_000, mvMinIntervalMs: 200, channels: 'all', readMode: 'per-channel', aux: false, metaVariables: [], session: 'exclusive' });
  });

  it('names the bad field of a bad limit; never defaults one', () => {
    const issues = (input: unknown): string[] => {
      const r = arbinCommanderSectionSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ devices: [{ id: 'a', host: 'h', metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 2, max: 1 }] }] })).toEqual(['devices.0.metaVariables.0.max: max (1) must be ≥ min (2)']);
    expect(issues({ devices: [{ id: 'a', host: 'h', metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0 }] }] })[0]).toMatch(/^devices\.0\.metaVariables\.0\.max/);
    expect(issues({ devices: [{ id: 'a', host: 'h', metaVariables: [{ mv: 17, name: 'x_a', unit: 'A', min: 0, max: 1 }] }] })[0]).toMatch(/^devices\.0\.metaVariables\.0\.mv/);
    expect(issues({ devices: [{ id: 'a', host: 'h', metaVariables: [{ mv: 1, name: 'a_a', unit: 'A', min: 0, max: 1 }, { mv: 1, name: 'b_a', unit: 'A', min: 0, max: 1 }] }] })).toEqual(['devices.0.metaVariables.1.mv: MV_UD1 is declared twice']);
    expect(issues({ devices: [{ id: 'a', host: 'h', mvMinIntervalMs: 100 }] })[0]).toMatch(/mvMinIntervalMs: must be ≥ 200 ms, the vendor's limit/);
    expect(issues({ devices: [{ id: 'a', host: 'h', channels: [1, 2], channelMetaVariables: { '5': [] } }] })).toEqual(['devices.0.channelMetaVariables.5: channel 5 is not in channels']);
    expect(issues({ devices: [{ id: 'a', host: 'h' }, { id: 'a', host: 'h' }] })).toEqual(['devices.1.id: duplicate device id a']);
    expect(issues({ devices: [{ id: 'a', host: 'h', session: 'shared' }] })[0]).toMatch(/^devices\.0\.session/);
    expect(issues({ devices: [] })).toEqual(['devices: configure at least one cycler']);
  });

  it('refuses an MV name declared twice in one channel\'s list (a command naming it would pick one of two limits), naming the field', () => {
    const issues = (input: unknown): string[] => {
      const r = arbinCommanderSectionSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const twice = [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 1 }, { mv: 2, name: 'charge_current_a', unit: 'A', min: 0, max: 20 }];
    const why = 'name charge_current_a is declared twice (MV_UD1 and MV_UD2); names must be unique within a channel\'s metaVariables';
    expect(issues({ devices: [{ id: 'a', host: 'h', metaVariables: twice }] })).toEqual([`devices.0.metaVariables.1.name: ${why}`]);
    expect(issues({ devices: [{ id: 'a', host: 'h', channels: [1, 2], channelMetaVariables: { '2': twice } }] })).toEqual([`devices.0.channelMetaVariables.2.1.name: ${why}`]);
    // the same name on different channels' lists is fine: each channel resolves names in its own list
    expect(issues({ devices: [{ id: 'a', host: 'h', channels: [1, 2], metaVariables: [twice[0]], channelMetaVariables: { '2': [twice[1]] } }] })).toEqual([]);
  });
});

describe('modules > arbin > commander side (routing through the module)', () => {
  const module = createArbinModule();
  const devices = arbinCommanderSectionSchema.parse({ devices: [{ id: 'arbin-1', host: 'h', channels: [1, 2, 3], metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 2 }] }] }).devices;
  const resolve = commandResolver(deviceTable([{ module, devices }]), { owner: 'the commander', place: (e) => (e.module.sessionMode(e.device) === 'exclusive' ? { route: 'route.topic' } : { run: () => Promise.reject(new Error('never')) }) });

  it('routes valid commands to the owning collector (the session is exclusive) and refuses invalid ones without routing', () => {
    expect(module).toMatchObject({ protocol: 'arbin-cti', actionPrefix: 'arbin.' });
    expect(module.sessionMode(devices[0]!)).toBe('exclusive');
    expect(resolve(cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: 1 }))).toEqual({ kind: 'route', to: 'route.topic' });
    expect(() => resolve(cmd(ARBIN_ACTIONS.setMetaVariable, { mv: 1, value: 3 }))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_OUT_OF_RANGE' }));
    expect(() => resolve({ ...cmd(ARBIN_ACTIONS.stop, {}), target: { device_id: 'nope', channel: 1 } })).toThrow(expect.objectContaining({ code: 'BB_COMMAND_UNKNOWN_DEVICE' }));
  });

  it('set-MV is the one concurrent action (paced by the client); control commands wait for it', () => {
    expect(Object.entries(module.actions).filter(([, a]) => a.concurrent === true).map(([n]) => n)).toEqual([ARBIN_ACTIONS.setMetaVariable]);
    expect(module.orderAfterConcurrent).toBe(true);
  });
});

describe('modules > arbin > error catalogue', () => {
  it('every BB_ARBIN_* refusal of the actions is catalogued with a meaning', async () => {
    const { ARBIN_ACTION_ERROR_CODES } = await import('../src/errors.js');
    const { readFileSync } = await import('node:fs');
    const sources = ['actions.ts', 'module.ts'].map((f) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8')).join('\n');
    const used = new Set([...sources.matchAll(/'(BB_ARBIN_[A-Z_]+)'/g)].map((m) => m[1]!));
    for (const code of used) expect(ARBIN_ACTION_ERROR_CODES, code).toHaveProperty(code);
    for (const [code, doc] of Object.entries(ARBIN_ACTION_ERROR_CODES)) {
      expect(code).toMatch(/^BB_ARBIN_[A-Z_]+$/);
      expect(doc.meaning.length).toBeGreaterThan(20);
    }
  });
});
