/**
 * The rig's commands (issue 10): validated purely against the rig's device configuration (`validate`:
 * nothing sent), then run by the rig collector that owns the rig's session, through its controller —
 * which refuses what the interlock state does not allow (`BB_RIG_STATE_REFUSED`, outcome `refused`).
 *
 * | action | parameters | refused when |
 * | --- | --- | --- |
 * | `rig.set_outputs` | output name → boolean (or 0/1), e.g. `{pump: true, fan: true}` | a name not in `arduino.outputs` (the whitelist); dangerous or safe |
 * | `rig.pcs_setpoint` | `mode` (`current` A, `power` kW, or `off`), `value` (not for `off`) | outside the envelope; not normal; a schedule running (`off` is never refused: it also stops the schedule) |
 * | `rig.start_schedule` | `schedule` (a configured name) | not configured; not normal |
 * | `rig.stop_schedule` | — | never (stops the PCS) |
 * | `rig.reset_latch` | — | a dangerous condition persists; relays not yet open |
 */
import type { Command } from '@busbar/avro';
import { defineAction } from '@busbar/protocol';
import { CommandRefusedError, checkRange, requireParameter } from '@busbar/safety';
import { RigError } from './errors.js';
import type { PcsSetpoint } from './interlock/config.js';
import type { NamedSchedule, ResolvedRigDevice } from './device-config.js';
import type { RigSession } from './session.js';

/** Names of the rig's actions. */
export const RIG_ACTIONS = {
  setOutputs: 'rig.set_outputs',
  pcsSetpoint: 'rig.pcs_setpoint',
  startSchedule: 'rig.start_schedule',
  stopSchedule: 'rig.stop_schedule',
  resetLatch: 'rig.reset_latch',
} as const;

/**
 * Validates `rig.set_outputs`. Pure.
 *
 * @returns output name → level.
 * @throws {RigError} `BB_RIG_PIN_NOT_ALLOWED` for a name outside `arduino.outputs`;
 *   {@link CommandRefusedError} `BB_COMMAND_PARAMETER_INVALID` for a level that is not boolean/0/1,
 *   `BB_COMMAND_PARAMETER_MISSING` for no output at all.
 */
export function validateSetOutputs(cmd: Command, device: ResolvedRigDevice): Record<string, boolean> {
  const outputs: Record<string, boolean> = {};
  for (const [name, v] of Object.entries(cmd.parameters)) {
    if (!(name in device.arduino.outputs)) throw new RigError('BB_RIG_PIN_NOT_ALLOWED', `output ${name} is not one of the rig's outputs (${Object.keys(device.arduino.outputs).join(', ')}); nothing was sent`, { parameter: name });
    if (v === true || v === 1) outputs[name] = true;
    else if (v === false || v === 0) outputs[name] = false;
    else throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `output ${name} must be true/false (or 1/0), got ${JSON.stringify(v)}`, { parameter: name });
  }
  if (Object.keys(outputs).length === 0) throw new CommandRefusedError('BB_COMMAND_PARAMETER_MISSING', `name at least one output (${Object.keys(device.arduino.outputs).join(', ')})`);
  return outputs;
}

/**
 * Validates `rig.pcs_setpoint` against the envelope. Pure.
 *
 * @returns the set-point, or `off`.
 * @throws {CommandRefusedError} `BB_COMMAND_PARAMETER_MISSING`, `BB_COMMAND_PARAMETER_INVALID` (mode),
 *   `BB_COMMAND_OUT_OF_RANGE` (value outside `envelope.currentA` / `envelope.powerKw`).
 */
export function validatePcsSetpoint(cmd: Command, device: ResolvedRigDevice): PcsSetpoint | 'off' {
  const mode = requireParameter(cmd.parameters, 'mode');
  if (mode === 'off') return 'off';
  if (mode !== 'current' && mode !== 'power') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `mode must be current, power or off, got ${JSON.stringify(mode)}`, { parameter: 'mode' });
  const env = device.interlockConfig.envelope;
  const value = checkRange(mode === 'current' ? 'value (current_a)' : 'value (power_kw)', requireParameter(cmd.parameters, 'value'), mode === 'current' ? env.currentA : env.powerKw);
  return { mode, value };
}

/**
 * Validates `rig.start_schedule`. Pure.
 *
 * @throws {CommandRefusedError} `BB_COMMAND_PARAMETER_MISSING`, `BB_COMMAND_PARAMETER_INVALID` (a
 *   schedule not configured for this rig: only configured, validated files run).
 */
export function validateStartSchedule(cmd: Command, device: ResolvedRigDevice): NamedSchedule & { readonly name: string } {
  const name = requireParameter(cmd.parameters, 'schedule');
  const s = typeof name === 'string' ? device.namedSchedules.get(name) : undefined;
  if (!s) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `schedule ${JSON.stringify(name)} is not configured for rig ${device.id} (configured: ${[...device.namedSchedules.keys()].join(', ') || 'none'})`, { parameter: 'schedule' });
  return { ...s, name: name as string };
}

/** The rig module's actions, by full name. */
export const rigActions = {
  [RIG_ACTIONS.setOutputs]: defineAction<ResolvedRigDevice, RigSession, Record<string, boolean>>({
    validate: validateSetOutputs,
    describe: (o) => `outputs ${Object.entries(o).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(' ')}`,
    execute: async (session, outputs, ctx) => {
      await session.controller.setOutputs(outputs, () => ctx.beforeSend());
      return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v ? 'on' : 'off']));
    },
    // waits in the controller's Arduino queue (> 1 s between commands), not in the session's
    // exclusive slot: the PCS polls that feed the interlock must not wait behind it
    concurrent: true,
  }),
  [RIG_ACTIONS.pcsSetpoint]: defineAction<ResolvedRigDevice, RigSession, PcsSetpoint | 'off'>({
    validate: validatePcsSetpoint,
    describe: (sp) => (sp === 'off' ? 'PCS off' : `PCS ${sp.mode} set-point ${sp.value} ${sp.mode === 'current' ? 'A' : 'kW'}`),
    execute: async (session, sp, ctx): Promise<Record<string, string>> => {
      if (sp === 'off') {
        await session.controller.pcsOff(() => ctx.beforeSend());
        return { mode: 'off' };
      }
      await session.controller.pcsSetpoint(sp, () => ctx.beforeSend());
      return { mode: sp.mode, value: String(sp.value) };
    },
    concurrent: true, // queued by the controller's PCS queue, as the interlock's own writes
  }),
  [RIG_ACTIONS.startSchedule]: defineAction<ResolvedRigDevice, RigSession, NamedSchedule & { readonly name: string }>({
    validate: validateStartSchedule,
    describe: (s) => `start schedule ${s.name} (${s.schedule.steps.length} steps, ${s.schedule.mode}${s.repeat ? ', repeating' : ''})`,
    execute: async (session, s, ctx) => {
      ctx.beforeSend();
      session.controller.startSchedule(s.schedule, s.repeat);
      return { schedule: s.name, steps: String(s.schedule.steps.length) };
    },
  }),
  [RIG_ACTIONS.stopSchedule]: defineAction<ResolvedRigDevice, RigSession, null>({
    validate: () => null,
    describe: () => 'stop the schedule (PCS off)',
    execute: async (session, _p, ctx) => {
      ctx.beforeSend();
      return { stopped: String(session.controller.stopSchedule()) };
    },
  }),
  [RIG_ACTIONS.resetLatch]: defineAction<ResolvedRigDevice, RigSession, null>({
    validate: () => null,
    describe: () => 'reset the interlock latch',
    execute: async (session, _p, ctx) => {
      ctx.beforeSend();
      return { state: session.controller.reset() };
    },
  }),
};
