/**
 * The `maccor.*` actions: pure validation and preparation of each command against the tester's
 * configuration (nothing is sent before {@link prepareMaccorCommand} returns). The result is a typed
 * {@link MaccorOperation} that the executing collector runs on its MacNet client.
 *
 * Actions and parameters (units in the names; channel = `target.channel`, 1-based):
 * - `maccor.start_test`: `procedure` (string, without `.000`), `test_name` (string ≤ 250; default a
 *   generated unique `<device>-<channel>-<UTC yyyymmddThhmmss>`), `comment` (≤ 80), `crate_ah` (> 0,
 *   default 1). The channel's configured `safety` limits are sent with (6,10) first (reference §6.6-§6.7, §8.7-§8.9).
 * - `maccor.set_variable`: `var_num` (integer 1..15), `value` (number) — (6,9), reference §6.8. Only a
 *   variable declared for the channel (`channelSettings.*.variables`) may be set, and only to a value in
 *   its `[min, max]`.
 * - `maccor.suspend`, `maccor.resume`, `maccor.reset` — (6,3), (6,4), (6,5), reference §8.10.
 * - `maccor.start_direct_control`: `test_name` (optional, ≤ 25 characters, default `Random`),
 *   `power` (boolean, default false: also activate the power set-point). Starts (6,7) at rest with
 *   current 0 A and the envelope's `max_voltage_v` active, so later (6,8) may use them (reference §8.3).
 * - `maccor.set_direct_output`: `mode` (`charge` | `discharge` | `rest`), `current_a` (magnitude ≥ 0;
 *   required for charge and discharge, or the tester's current limit would be sent as disabled),
 *   `voltage_v` (charge: ceiling; discharge: floor), `power_w` (optional) — checked against the
 *   channel envelope (`DirectControlEnvelope`) before anything is sent.
 */
import type { Command, CommandParameter } from '@busbar/avro';
import { CommandRefusedError, checkRange, requireParameter } from '@busbar/safety';
import { DirectControlEnvelope } from '@busbar/driver-maccor-macnet';
import type { ChannelEnvelope, DirectSetpoint, SafetyLimits } from '@busbar/driver-maccor-macnet';
import type { MaccorDeviceConfig } from './device-config.js';
import { channelSettingsOf } from './device-config.js';

/** The supported actions. */
export const MACCOR_ACTIONS = [
  'maccor.start_test',
  'maccor.set_variable',
  'maccor.suspend',
  'maccor.resume',
  'maccor.reset',
  'maccor.start_direct_control',
  'maccor.set_direct_output',
] as const;

/** One of {@link MACCOR_ACTIONS}. */
export type MaccorAction = (typeof MACCOR_ACTIONS)[number];

/** A validated command, ready for the tester. `channel` is 1-based. */
export type MaccorOperation =
  | { readonly kind: 'start_test'; readonly channel: number; readonly testName: string; readonly procName: string; readonly comment: string; readonly crate: number; readonly safety: SafetyLimits; readonly preflight: 'required' | 'if_supported' }
  | { readonly kind: 'set_variable'; readonly channel: number; readonly varNum: number; readonly value: number }
  | { readonly kind: 'suspend' | 'resume' | 'reset'; readonly channel: number }
  | { readonly kind: 'start_direct_control'; readonly channel: number; readonly testName: string; readonly safety: SafetyLimits; readonly envelope: ChannelEnvelope; readonly initial: DirectSetpoint }
  | { readonly kind: 'set_direct_output'; readonly channel: number; readonly setpoint: DirectSetpoint };

/** A prepared command: the operation and a one-line summary. */
export interface PreparedMaccorCommand {
  readonly operation: MaccorOperation;
  readonly summary: string;
}

const INVALID_NAME = /[\\/:*?"<>|]/; // not allowed in a file name on the tester PC

function str(p: Readonly<Record<string, CommandParameter>>, name: string, fallback?: string): string {
  const v = p[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    requireParameter(p, name);
  }
  if (typeof v !== 'string') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${name} must be a string, got ${JSON.stringify(v)}`, { parameter: name });
  return v;
}

function num(p: Readonly<Record<string, CommandParameter>>, name: string, fallback?: number): number {
  const v = p[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    requireParameter(p, name);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${name} must be a finite number, got ${JSON.stringify(v)}`, { parameter: name });
  return v;
}

function optNum(p: Readonly<Record<string, CommandParameter>>, name: string): number | undefined {
  const v = p[name];
  return v === undefined || v === null ? undefined : num(p, name);
}

function bool(p: Readonly<Record<string, CommandParameter>>, name: string, fallback: boolean): boolean {
  const v = p[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${name} must be true or false, got ${JSON.stringify(v)}`, { parameter: name });
  return v;
}

function checkName(name: string, param: string, max: number): string {
  if (name.length < 1 || name.length > max) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${param} must be 1..${max} characters, got ${name.length}`, { parameter: param, max });
  if (INVALID_NAME.test(name)) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter ${param} ${JSON.stringify(name)} contains a character not allowed in a tester file name (\\ / : * ? " < > |)`, { parameter: param });
  return name;
}

/** `<device>-<channel>-<UTC yyyymmddThhmmss>`: unique per channel and second (reference §8.8). */
export function generatedTestName(deviceId: string, channel: number, at: Date): string {
  const ts = at.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${deviceId}-${channel}-${ts}`;
}

function channelOf(cmd: Command, device: MaccorDeviceConfig): number {
  const ch = cmd.target.channel;
  if (ch === null) throw new CommandRefusedError('BB_COMMAND_PARAMETER_MISSING', `${cmd.action} needs target.channel (1..${device.channels})`, { parameter: 'target.channel' });
  if (!Number.isInteger(ch) || ch < 1 || ch > device.channels) {
    throw new CommandRefusedError('BB_MACCOR_CHANNEL_OUT_OF_RANGE', `channel ${ch} is not 1..${device.channels} of tester ${device.id}`, { channel: ch, channels: device.channels });
  }
  return ch;
}

function safetyOf(device: MaccorDeviceConfig, channel: number, action: string): SafetyLimits {
  const s = channelSettingsOf(device, channel).safety;
  if (!s) throw new CommandRefusedError('BB_MACCOR_SAFETY_LIMITS_MISSING', `${action} refused: channel ${channel} of ${device.id} has no safety limits configured (channelSettings.*.safety); (6,10) must be set before any start`, { channel });
  return s;
}

function envelopeOf(device: MaccorDeviceConfig, channel: number, action: string): ChannelEnvelope {
  const e = channelSettingsOf(device, channel).envelope;
  if (!device.directControl || !e) {
    throw new CommandRefusedError('BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED', `${action} refused: channel ${channel} of ${device.id} has no direct-control envelope${device.directControl ? '' : ' and the device has no directControl (watchdog) section'}`, { channel });
  }
  return e;
}

function fmt(sp: DirectSetpoint): string {
  const parts: string[] = [sp.mode];
  if (sp.current_a !== undefined) parts.push(`${sp.current_a} A`);
  if (sp.voltage_v !== undefined) parts.push(`${sp.voltage_v} V`);
  if (sp.power_w !== undefined) parts.push(`${sp.power_w} W`);
  return parts.join(' ');
}

/**
 * Checks a direct-output set-point against the channel envelope.
 * @throws {CommandRefusedError} `BB_MACCOR_ENVELOPE_REFUSED` naming the field, its value and the limit.
 */
export function checkEnvelope(channel: number, envelope: ChannelEnvelope, sp: DirectSetpoint): void {
  const check = new DirectControlEnvelope({ [channel]: envelope }).check(channel, sp);
  if (!check.ok) {
    const r = check.refusal;
    throw new CommandRefusedError('BB_MACCOR_ENVELOPE_REFUSED', `${r.message}; not sent`, { channel, reason: r.reason, field: r.field, value: r.value ?? null, limit: r.limit ?? null });
  }
}

/**
 * Validates `cmd` for `device` and prepares it (pure: no I/O).
 *
 * @param now - for generated test names.
 * @throws {CommandRefusedError} `BB_COMMAND_UNKNOWN_ACTION`, `BB_COMMAND_PARAMETER_MISSING`,
 *   `BB_COMMAND_PARAMETER_INVALID`, `BB_COMMAND_OUT_OF_RANGE`, `BB_MACCOR_CHANNEL_OUT_OF_RANGE`,
 *   `BB_MACCOR_SAFETY_LIMITS_MISSING`, `BB_MACCOR_DIRECT_CONTROL_NOT_CONFIGURED`, `BB_MACCOR_ENVELOPE_REFUSED`,
 *   `BB_MACCOR_VARIABLE_NOT_DECLARED` (a VAR not declared for the channel); `BB_COMMAND_OUT_OF_RANGE`
 *   also for a VAR value outside its declared `[min, max]`.
 */
export function prepareMaccorCommand(cmd: Command, device: MaccorDeviceConfig, now: Date = new Date()): PreparedMaccorCommand {
  const action = cmd.action as MaccorAction;
  if (!MACCOR_ACTIONS.includes(action)) {
    throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by Maccor testers (supported: ${MACCOR_ACTIONS.join(', ')})`);
  }
  const p = cmd.parameters;
  const channel = channelOf(cmd, device);
  switch (action) {
    case 'maccor.start_test': {
      const procName = checkName(str(p, 'procedure'), 'procedure', 250);
      if (/\.000$/i.test(procName)) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter procedure ${JSON.stringify(procName)} must not end in ".000" (reference §8.9)`, { parameter: 'procedure' });
      const testName = checkName(str(p, 'test_name', generatedTestName(device.id, channel, now)), 'test_name', 250);
      const comment = str(p, 'comment', '');
      if (comment.length > 80) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter comment must be ≤ 80 characters, got ${comment.length}`, { parameter: 'comment' });
      const crate = num(p, 'crate_ah', 1);
      if (crate <= 0) throw new CommandRefusedError('BB_COMMAND_OUT_OF_RANGE', `parameter crate_ah must be > 0 Ah, got ${crate}`, { parameter: 'crate_ah' });
      const safety = safetyOf(device, channel, action);
      return { operation: { kind: 'start_test', channel, testName, procName, comment, crate, safety, preflight: device.preflight }, summary: `start test ${testName} with procedure ${procName} on channel ${channel}` };
    }
    case 'maccor.set_variable': {
      const varNum = num(p, 'var_num');
      if (!Number.isInteger(varNum) || varNum < 1 || varNum > 15) throw new CommandRefusedError('BB_COMMAND_OUT_OF_RANGE', `parameter var_num must be an integer 1..15 (VAR1..VAR15), got ${varNum}`, { parameter: 'var_num', min: 1, max: 15 });
      const value = num(p, 'value');
      const declared = channelSettingsOf(device, channel).variables;
      const v = declared.find((d) => d.var_num === varNum);
      if (!v) {
        const known = declared.length === 0 ? 'none is declared' : `declared: ${declared.map((d) => `VAR${d.var_num} (${d.name})`).join(', ')}`;
        throw new CommandRefusedError('BB_MACCOR_VARIABLE_NOT_DECLARED', `VAR${varNum} is not a variable declared for channel ${channel} of ${device.id} (channelSettings.*.variables); ${known}; not sent`, { parameter: 'var_num', channel, var_num: varNum });
      }
      checkRange(`VAR${varNum} (${v.name}, ${v.unit}) of channel ${channel}`, value, v);
      return { operation: { kind: 'set_variable', channel, varNum, value }, summary: `set VAR${varNum} (${v.name}) = ${value} ${v.unit} on channel ${channel}` };
    }
    case 'maccor.suspend':
    case 'maccor.resume':
    case 'maccor.reset': {
      const kind = action.slice('maccor.'.length) as 'suspend' | 'resume' | 'reset';
      return { operation: { kind, channel }, summary: `${kind} channel ${channel}` };
    }
    case 'maccor.start_direct_control': {
      const envelope = envelopeOf(device, channel, action);
      const safety = safetyOf(device, channel, action);
      const testName = checkName(str(p, 'test_name', 'Random'), 'test_name', 25);
      const initial: DirectSetpoint = { mode: 'rest', current_a: 0, voltage_v: envelope.max_voltage_v, ...(bool(p, 'power', false) ? { power_w: 0 } : {}) };
      return { operation: { kind: 'start_direct_control', channel, testName, safety, envelope, initial }, summary: `start direct control on channel ${channel} (${testName})` };
    }
    case 'maccor.set_direct_output': {
      const envelope = envelopeOf(device, channel, action);
      const mode = str(p, 'mode');
      if (mode !== 'charge' && mode !== 'discharge' && mode !== 'rest') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter mode must be charge, discharge or rest, got ${JSON.stringify(mode)}`, { parameter: 'mode' });
      const current_a = optNum(p, 'current_a');
      const voltage_v = optNum(p, 'voltage_v');
      const power_w = optNum(p, 'power_w');
      const setpoint: DirectSetpoint = { mode, ...(current_a !== undefined ? { current_a } : {}), ...(voltage_v !== undefined ? { voltage_v } : {}), ...(power_w !== undefined ? { power_w } : {}) };
      checkEnvelope(channel, envelope, setpoint);
      return { operation: { kind: 'set_direct_output', channel, setpoint }, summary: `direct output ${fmt(setpoint)} on channel ${channel}` };
    }
  }
}
