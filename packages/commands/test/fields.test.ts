import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { COMMAND_FIELD_LIMITS, checkCommandFields, commandKey, digestOf, resultIdentity } from '../src/fields.js';

function cmd(over: Partial<Command> = {}): Command {
  return { command_id: 'c-1', issuer: 'op', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12 }, dry_run: false, ...over };
}

function refusal(c: Command): CommandRefusedError {
  try {
    checkCommandFields(c);
  } catch (err) {
    if (err instanceof CommandRefusedError) return err;
    throw err;
  }
  throw new Error('not refused');
}

const x = (n: number): string => 'x'.repeat(n);
const params = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));

describe('commands > fields > checkCommandFields', () => {
  it('accepts every field at its limit', () => {
    const L = COMMAND_FIELD_LIMITS;
    expect(() => checkCommandFields(cmd({ command_id: x(L.command_id), issuer: x(L.issuer), target: { device_id: x(L.device_id), channel: 1 }, action: x(L.action), parameters: { [x(L.parameter_name)]: x(L.parameter_text), ...params(L.parameters - 1) } }))).not.toThrow();
  });

  // field, the command with that field one over its limit, the field named in the reason, its length, its limit
  const L = COMMAND_FIELD_LIMITS;
  const overs: [string, Command, string, number, number][] = [
    ['command_id', cmd({ command_id: x(L.command_id + 1) }), 'command_id', L.command_id + 1, L.command_id],
    ['a 200,000-character command_id', cmd({ command_id: x(200_000) }), 'command_id', 200_000, L.command_id],
    ['issuer', cmd({ issuer: x(L.issuer + 1) }), 'issuer', L.issuer + 1, L.issuer],
    ['target.device_id', cmd({ target: { device_id: x(L.device_id + 1), channel: null } }), 'target.device_id', L.device_id + 1, L.device_id],
    ['action', cmd({ action: x(L.action + 1) }), 'action', L.action + 1, L.action],
    ['a parameter name', cmd({ parameters: { [x(L.parameter_name + 1)]: 1 } }), `parameter name "${x(32)}…"`, L.parameter_name + 1, L.parameter_name],
    ['a text parameter value', cmd({ parameters: { schedule: x(L.parameter_text + 1) } }), 'parameter schedule', L.parameter_text + 1, L.parameter_text],
    ['the number of parameters', cmd({ parameters: params(L.parameters + 1) }), 'parameters', L.parameters + 1, L.parameters],
  ];
  it.each(overs)('%s over its limit → BB_COMMAND_FIELD_TOO_LONG naming the field, its length and the limit', (_, c, field, length, limit) => {
    const err = refusal(c);
    expect(err.code).toBe('BB_COMMAND_FIELD_TOO_LONG');
    expect(err.message).toBe(`${field} is ${length} ${field === 'parameters' ? 'entries' : 'characters'} long; the limit is ${limit}`);
    expect(err.context).toEqual({ field, length, limit });
    expect(err.message.length).toBeLessThan(200); // the value itself is never quoted in full
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('a parameter %s → BB_COMMAND_PARAMETER_NOT_FINITE naming the parameter', (v) => {
    const err = refusal(cmd({ parameters: { point: 'voltage_setpoint_v', value: v } }));
    expect(err.code).toBe('BB_COMMAND_PARAMETER_NOT_FINITE');
    expect(err.message).toBe(`parameter value is ${String(v)}; a command parameter must be a finite number`);
    expect(err.context).toEqual({ parameter: 'value', value: String(v) });
  });

  it('accepts the extreme finite numbers, booleans, null and empty text', () => {
    expect(() => checkCommandFields(cmd({ parameters: { a: Number.MAX_VALUE, b: -Number.MAX_VALUE, c: Number.MIN_VALUE, d: true, e: null, f: '' } }))).not.toThrow();
  });

  it('reports the first violation in a fixed order: command_id before the rest, parameters by name', () => {
    expect(refusal(cmd({ command_id: x(200), action: x(200) })).context.field).toBe('command_id');
    expect(refusal(cmd({ parameters: { b: Number.NaN, a: x(2000) } })).code).toBe('BB_COMMAND_FIELD_TOO_LONG');
  });

  it('counts UTF-16 code units (an astral character is 2)', () => {
    expect(() => checkCommandFields(cmd({ command_id: '🔋'.repeat(64) }))).not.toThrow();
    expect(refusal(cmd({ command_id: '🔋'.repeat(65) })).context).toEqual({ field: 'command_id', length: 130, limit: 128 });
  });
});

describe('commands > fields > commandKey and resultIdentity', () => {
  it('an id within the limit is its own key; a longer one is the SHA-256 of its UTF-8 text', () => {
    expect(commandKey({ command_id: x(128) })).toBe(x(128));
    const long = x(200_000);
    const hex = createHash('sha256').update(Buffer.from(long, 'utf8')).digest('hex');
    expect(commandKey({ command_id: long })).toBe(`sha256:${hex}`);
    expect(digestOf('é')).toBe(`sha256:${createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex')}`);
  });

  it('echoes bounded fields as they are and over-long ones as digests', () => {
    expect(resultIdentity(cmd({ target: { device_id: 'psu-1', channel: 3 } }))).toEqual({ command_id: 'c-1', device_id: 'psu-1', channel: 3, action: 'modbus.write' });
    const id = resultIdentity(cmd({ command_id: x(129), target: { device_id: x(65), channel: null }, action: x(65) }));
    expect(id).toEqual({ command_id: digestOf(x(129)), device_id: digestOf(x(65)), channel: null, action: digestOf(x(65)) });
  });
});
