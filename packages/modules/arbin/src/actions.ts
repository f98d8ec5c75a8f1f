/**
 * The Arbin command actions: pure validation of a {@link Command} against the cycler's
 * configuration (nothing is sent before it returns), then preparation of what to run on a CTI
 * client.
 *
 * | action | parameters | CTI message (Arbin CTI reference README) |
 * | --- | --- | --- |
 * | `arbin.assign_schedule` | `schedule` (file name) | assign 0xBB210001 (§4.4), result codes §5.1 |
 * | `arbin.start` | `test_name`, `schedule` (unless `assign` = false), `assign` (default true) | assign then start 0xBB320004 (§4.5, §10), codes §5.1/§5.2 |
 * | `arbin.stop` | — | stop 0xBB310001 (§4.6), codes §5.3 |
 * | `arbin.resume` | — | resume 0xBB310002 (§6.2), codes §5.5 |
 * | `arbin.jump_to_step` | `step` (1-based, as the readings' step_index) | jump 0xBB320005 (§6.2), codes §5.7 |
 * | `arbin.set_meta_variable` | `mv` (1..16, `MV_UDn` or the configured name), `value` (in the MV's configured unit) | set MV 0xBB150001 (§4.7), codes §5.4 |
 *
 * Every action needs `target.channel`, the cycler's 1-based channel (the wire is 0-based, §3.6).
 */
import type { Command } from '@busbar/avro';
import type { CommandResult as CtiCommandResult } from '@busbar/driver-arbin-cti';
import { encodeAssignScheduleRequest, encodeStartScheduleRequest } from '@busbar/driver-arbin-cti';
import { CommandRefusedError, checkRange, requireParameter } from '@busbar/safety';
import type { ArbinDeviceConfig, ArbinMetaVariableLimit } from './device-config.js';
import { metaVariablesOf } from './device-config.js';

/** Names of the Arbin actions. */
export const ARBIN_ACTIONS = {
  assignSchedule: 'arbin.assign_schedule',
  start: 'arbin.start',
  stop: 'arbin.stop',
  resume: 'arbin.resume',
  jumpToStep: 'arbin.jump_to_step',
  setMetaVariable: 'arbin.set_meta_variable',
} as const;

/** One of the Arbin action names. */
export type ArbinActionName = (typeof ARBIN_ACTIONS)[keyof typeof ARBIN_ACTIONS];

const ACTION_NAMES: readonly string[] = Object.values(ARBIN_ACTIONS);

/** A validated Arbin command: what to do on which 1-based channel. */
export type ArbinPlan =
  | { readonly kind: 'assign_schedule'; readonly channel: number; readonly schedule: string }
  | { readonly kind: 'start'; readonly channel: number; readonly schedule: string | undefined; readonly testName: string; readonly assign: boolean }
  | { readonly kind: 'stop'; readonly channel: number }
  | { readonly kind: 'resume'; readonly channel: number }
  | { readonly kind: 'jump_to_step'; readonly channel: number; readonly step: number }
  | { readonly kind: 'set_meta_variable'; readonly channel: number; readonly mv: number; readonly value: number; readonly limit: ArbinMetaVariableLimit };

/**
 * Per-command send options handed to the port (the driver's `SendOptions`): `beforeSend` is called
 * immediately before the command's bytes are written — after every queue it waited in — and a
 * throw keeps it off the wire (the call rejects with that error). The actions put the command's
 * expiry check there (`assertNotExpired`, `BB_COMMAND_EXPIRED` → result EXPIRED).
 */
export interface ArbinSendOptions {
  /** Throws to keep the command off the wire. */
  readonly beforeSend?: () => void;
}

/**
 * What an action needs from a logged-in CTI client (the driver's `ArbinCtiClient` has exactly
 * these methods). Channels are 1-based. Each resolves with the cycler's result mapped to its vendor
 * meaning, and throws the driver's transport errors (`BB_ARBIN_OUTCOME_UNKNOWN` when sent but
 * unanswered, `BB_ARBIN_NOT_CONNECTED` when not sent), or what `beforeSend` threw. An
 * implementation must call `beforeSend` right before writing (a wrapper passes it on to the client).
 */
export interface ArbinCyclerPort {
  /** Assign a schedule (README §4.4). */
  assignSchedule(channel: number, schedule: string, send?: ArbinSendOptions): Promise<CtiCommandResult>;
  /** Assign (unless `assign` is false) then start (README §4.5); `beforeSend` runs before each write. */
  startSchedule(channel: number, options: ArbinSendOptions & { readonly schedule?: string; readonly testName: string; readonly assign?: boolean }): Promise<CtiCommandResult>;
  /** Stop (README §4.6). */
  stopSchedule(channel: number, send?: ArbinSendOptions): Promise<CtiCommandResult>;
  /** Resume (README §6.2). */
  resumeSchedule(channel: number, send?: ArbinSendOptions): Promise<CtiCommandResult>;
  /** Jump to a 1-based step (README §6.2). */
  jumpToStep(channel: number, step: number, send?: ArbinSendOptions): Promise<CtiCommandResult>;
  /** Set MV_UD`mv` (README §4.7); spaced and coalesced per channel by the client. */
  setMetaVariable(channel: number, mv: number, value: number, send?: ArbinSendOptions): Promise<CtiCommandResult>;
}

function text(cmd: Command, name: string): string {
  const v = requireParameter(cmd.parameters, name);
  if (typeof v !== 'string' || v.trim() === '') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${name} must be a non-empty string, got ${JSON.stringify(v)}`, { parameter: name });
  return v;
}

function channelOf(cmd: Command, device: ArbinDeviceConfig): number {
  const channel = cmd.target.channel;
  if (channel === null) throw new CommandRefusedError('BB_ARBIN_CHANNEL_REQUIRED', `${cmd.action} needs target.channel (the cycler's 1-based channel number)`, { device: device.id });
  if (!Number.isInteger(channel) || channel < 1) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `target.channel must be a 1-based channel number, got ${channel}`, { parameter: 'channel' });
  if (Array.isArray(device.channels) && !device.channels.includes(channel)) {
    throw new CommandRefusedError('BB_ARBIN_CHANNEL_NOT_CONFIGURED', `channel ${channel} is not configured for cycler ${device.id} (configured: ${device.channels.join(', ')})`, { device: device.id, channel });
  }
  return channel;
}

function checkSchedule(device: ArbinDeviceConfig, channel: number, schedule: string): void {
  if (device.allowedSchedules !== undefined && !device.allowedSchedules.includes(schedule)) {
    throw new CommandRefusedError('BB_ARBIN_SCHEDULE_NOT_ALLOWED', `schedule ${JSON.stringify(schedule)} is not in allowedSchedules of cycler ${device.id} (${device.allowedSchedules.join(', ')})`, { device: device.id, parameter: 'schedule' });
  }
  encodeAssignScheduleRequest({ channel_index0: channel - 1, schedule }); // throws BB_ARBIN_INVALID_ARGUMENT when it does not fit the field
}

function resolveMv(cmd: Command, device: ArbinDeviceConfig, channel: number): ArbinMetaVariableLimit {
  const raw = requireParameter(cmd.parameters, 'mv');
  const declared = metaVariablesOf(device, channel);
  let limit: ArbinMetaVariableLimit | undefined;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 1 || raw > 16) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter mv must be 1..16 (MV_UD1..MV_UD16), got ${raw}`, { parameter: 'mv' });
    limit = declared.find((m) => m.mv === raw);
  } else if (typeof raw === 'string') {
    const m = /^MV_UD([1-9]|1[0-6])$/.exec(raw);
    limit = m ? declared.find((d) => d.mv === Number(m[1])) : declared.find((d) => d.name === raw);
  } else {
    throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter mv must be 1..16, MV_UDn or a configured MV name, got ${JSON.stringify(raw)}`, { parameter: 'mv' });
  }
  if (limit === undefined) {
    const known = declared.length === 0 ? 'none is declared' : `declared: ${declared.map((d) => `MV_UD${d.mv} (${d.name})`).join(', ')}`;
    throw new CommandRefusedError('BB_ARBIN_MV_NOT_CONFIGURED', `${JSON.stringify(raw)} is not a meta-variable configured for channel ${channel} of cycler ${device.id}; ${known}`, { device: device.id, channel, parameter: 'mv' });
  }
  return limit;
}

/**
 * Validates an Arbin command for `device` (pure: nothing is sent).
 *
 * @throws {CommandRefusedError} `BB_COMMAND_UNKNOWN_ACTION`, `BB_COMMAND_PARAMETER_MISSING`,
 *   `BB_COMMAND_PARAMETER_INVALID`, `BB_COMMAND_OUT_OF_RANGE` (an MV value outside its configured
 *   min/max), `BB_ARBIN_CHANNEL_REQUIRED`, `BB_ARBIN_CHANNEL_NOT_CONFIGURED`,
 *   `BB_ARBIN_MV_NOT_CONFIGURED`, `BB_ARBIN_SCHEDULE_NOT_ALLOWED`, `BB_ARBIN_STEP_OUT_OF_RANGE`;
 *   the driver's `BB_ARBIN_INVALID_ARGUMENT` when a text does not fit its CTI field.
 */
export function validateArbinCommand(cmd: Command, device: ArbinDeviceConfig): ArbinPlan {
  if (!ACTION_NAMES.includes(cmd.action)) {
    throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by Arbin cyclers (supported: ${ACTION_NAMES.join(', ')})`);
  }
  const channel = channelOf(cmd, device);
  switch (cmd.action as ArbinActionName) {
    case ARBIN_ACTIONS.assignSchedule: {
      const schedule = text(cmd, 'schedule');
      checkSchedule(device, channel, schedule);
      return { kind: 'assign_schedule', channel, schedule };
    }
    case ARBIN_ACTIONS.start: {
      const assignRaw = cmd.parameters.assign ?? true;
      if (typeof assignRaw !== 'boolean') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter assign must be a boolean, got ${JSON.stringify(assignRaw)}`, { parameter: 'assign' });
      const testName = text(cmd, 'test_name');
      let schedule: string | undefined;
      if (assignRaw || (cmd.parameters.schedule !== undefined && cmd.parameters.schedule !== null)) {
        schedule = text(cmd, 'schedule');
        checkSchedule(device, channel, schedule);
      } else if (device.allowedSchedules !== undefined) {
        throw new CommandRefusedError('BB_COMMAND_PARAMETER_MISSING', `parameter schedule is required: cycler ${device.id} restricts schedules (allowedSchedules), so a start must name one`, { parameter: 'schedule' });
      }
      encodeStartScheduleRequest({ test_name: testName, channel_indexes0: [channel - 1] }); // throws BB_ARBIN_INVALID_ARGUMENT when too long
      return { kind: 'start', channel, schedule, testName, assign: assignRaw };
    }
    case ARBIN_ACTIONS.stop:
      return { kind: 'stop', channel };
    case ARBIN_ACTIONS.resume:
      return { kind: 'resume', channel };
    case ARBIN_ACTIONS.jumpToStep: {
      const step = requireParameter(cmd.parameters, 'step');
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter step must be a 1-based step number, got ${JSON.stringify(step)}`, { parameter: 'step' });
      if (device.maxStep !== undefined && step > device.maxStep) {
        throw new CommandRefusedError('BB_ARBIN_STEP_OUT_OF_RANGE', `step ${step} is above maxStep ${device.maxStep} of cycler ${device.id} (a step that does not exist stops the test)`, { parameter: 'step', value: step, max: device.maxStep });
      }
      return { kind: 'jump_to_step', channel, step };
    }
    case ARBIN_ACTIONS.setMetaVariable: {
      const limit = resolveMv(cmd, device, channel);
      const value = checkRange(`MV_UD${limit.mv} (${limit.name}, ${limit.unit}) of channel ${channel}`, requireParameter(cmd.parameters, 'value'), limit);
      return { kind: 'set_meta_variable', channel, mv: limit.mv, value, limit };
    }
  }
}

/** A one-line description of a plan, for logs and result details. */
export function describeArbinPlan(plan: ArbinPlan): string {
  switch (plan.kind) {
    case 'assign_schedule':
      return `assign ${plan.schedule} to channel ${plan.channel}`;
    case 'start':
      return plan.assign ? `assign ${plan.schedule ?? ''} and start test ${plan.testName} on channel ${plan.channel}` : `start test ${plan.testName} on channel ${plan.channel}`;
    case 'stop':
      return `stop channel ${plan.channel}`;
    case 'resume':
      return `resume channel ${plan.channel}`;
    case 'jump_to_step':
      return `jump channel ${plan.channel} to step ${plan.step}`;
    case 'set_meta_variable':
      return `set MV_UD${plan.mv} (${plan.limit.name}) of channel ${plan.channel} = ${plan.value} ${plan.limit.unit}`;
  }
}

/**
 * Sends a plan through `port` (one CTI exchange, or assign + start); `send.beforeSend` runs right
 * before each write (see {@link ArbinSendOptions}).
 */
export function sendArbinPlan(plan: ArbinPlan, port: ArbinCyclerPort, send: ArbinSendOptions = {}): Promise<CtiCommandResult> {
  switch (plan.kind) {
    case 'assign_schedule':
      return port.assignSchedule(plan.channel, plan.schedule, send);
    case 'start':
      return port.startSchedule(plan.channel, { testName: plan.testName, assign: plan.assign, ...(plan.schedule !== undefined ? { schedule: plan.schedule } : {}), ...send });
    case 'stop':
      return port.stopSchedule(plan.channel, send);
    case 'resume':
      return port.resumeSchedule(plan.channel, send);
    case 'jump_to_step':
      return port.jumpToStep(plan.channel, plan.step, send);
    case 'set_meta_variable':
      return port.setMetaVariable(plan.channel, plan.mv, plan.value, send);
  }
}

/** The vendor fields of a cycler answer, as CommandResult details. */
export function vendorDetails(r: CtiCommandResult): Record<string, string> {
  return {
    cti_command: r.command,
    vendor_code: r.code === null ? 'none' : `0x${r.code.toString(16).toUpperCase().padStart(2, '0')}`,
    vendor_name: r.name,
    vendor_meaning: r.reason,
    vendor_source: `Arbin CTI reference ${r.source}`,
  };
}

/**
 * Turns a cycler's answer into result details, or a refusal carrying the vendor meaning.
 *
 * @throws {CommandRefusedError} `BB_ARBIN_CYCLER_REFUSED` when the result code is not success.
 */
export function acceptCyclerResult(action: string, r: CtiCommandResult): Record<string, string> {
  const details = vendorDetails(r);
  if (r.ok) return details;
  const code = r.code === null ? 'no code' : `result ${details.vendor_code}`;
  throw new CommandRefusedError('BB_ARBIN_CYCLER_REFUSED', `cycler refused ${action} on channel ${r.channel ?? '-'} (${r.command}): ${r.reason} (${r.name}, ${code}, Arbin CTI reference ${r.source})`, { ...details });
}
