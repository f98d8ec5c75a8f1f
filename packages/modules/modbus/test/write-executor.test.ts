import { describe, expect, it } from 'vitest';
import { BusbarError, ManualClock } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { POWER_SUPPLY_MAP } from '@busbar/driver-modbus';
import { CommandExecutor } from '@busbar/commands';
import { prepareModbusWrite } from '../src/write-action.js';

const clock = new ManualClock(Date.UTC(2026, 10, 21));
function cmd(over: Partial<Command> & { parameters: Command['parameters'] }): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(clock.nowMs()), expires_at: new Date(clock.nowMs() + 60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', dry_run: false, ...over };
}

describe('modules > modbus > modbus.write through the CommandExecutor', () => {
  const writes: [string, number | boolean][] = [];
  let failNext: unknown;
  const writer = {
    write: async (p: string, v: number | boolean) => {
      if (failNext) {
        const e = failNext;
        failNext = undefined;
        throw e;
      }
      writes.push([p, v]);
    },
  };
  const ex = new CommandExecutor({ clock, resolve: (c) => ({ kind: 'execute', action: prepareModbusWrite(c, POWER_SUPPLY_MAP, () => writer) }) });

  it('executes a write within limits and reports it', async () => {
    const h = await ex.handle(cmd({ command_id: 'ok-1', parameters: { point: 'voltage_setpoint_v', value: 5 } }));
    expect(h).toMatchObject({ kind: 'result', result: { status: 'EXECUTED', reason_code: null, details: { summary: 'write voltage_setpoint_v = 5 V', point: 'voltage_setpoint_v' } } });
    expect(writes).toEqual([['voltage_setpoint_v', 5]]);
  });

  it('refuses without writing: out of range, read-only, unknown point, missing or mistyped parameters, foreign action', async () => {
    writes.length = 0;
    const cases: [Command['parameters'], string, string?][] = [
      [{ point: 'voltage_setpoint_v', value: 61 }, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
      [{ point: 'voltage_v', value: 1 }, 'BB_MODBUS_NOT_WRITABLE'],
      [{ point: 'nope', value: 1 }, 'BB_MODBUS_UNKNOWN_POINT'],
      [{ value: 1 }, 'BB_COMMAND_PARAMETER_MISSING'],
      [{ point: 'voltage_setpoint_v', value: '5' }, 'BB_COMMAND_PARAMETER_INVALID'],
      [{ point: 'voltage_setpoint_v', value: 5 }, 'BB_COMMAND_UNKNOWN_ACTION', 'arbin.start'],
    ];
    for (const [parameters, code, action] of cases) {
      const h = await ex.handle(cmd({ parameters, ...(action ? { action } : {}) }));
      expect(h).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: code } });
    }
    expect(writes).toEqual([]);
  });

  it('answers a repeated id once, an expired command with EXPIRED, a dry run with ACCEPTED and no write', async () => {
    writes.length = 0;
    const c = cmd({ command_id: 'dup', parameters: { point: 'current_limit_a', value: 2 } });
    expect((await ex.handle(c)).kind).toBe('result');
    expect(await ex.handle({ ...c, parameters: { point: 'current_limit_a', value: 3 } })).toEqual({ kind: 'duplicate' });
    expect(writes).toEqual([['current_limit_a', 2]]);
    const late = await ex.handle(cmd({ expires_at: new Date(clock.nowMs() - 1), parameters: { point: 'current_limit_a', value: 4 } }));
    expect(late).toMatchObject({ result: { status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' } });
    const dry = await ex.handle(cmd({ dry_run: true, parameters: { point: 'current_limit_a', value: 4 } }));
    expect(dry).toMatchObject({ result: { status: 'ACCEPTED', details: { dry_run: 'true' } } });
    expect(writes).toEqual([['current_limit_a', 2]]);
  });

  it('turns a device failure into FAILED with the driver code, never throwing', async () => {
    failNext = new BusbarError('BB_MODBUS_TIMEOUT', 'no reply within 500 ms', { retriable: true, context: { functionCode: 16, address: 2 } });
    const h = await ex.handle(cmd({ parameters: { point: 'current_limit_a', value: 1 } }));
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_MODBUS_TIMEOUT', reason: 'no reply within 500 ms', details: { functionCode: '16', address: '2' } } });
  });

  it('remembers ids answered before a restart', async () => {
    ex.remember('from-results-topic', clock.nowMs() + 60_000);
    expect(await ex.handle(cmd({ command_id: 'from-results-topic', parameters: { point: 'current_limit_a', value: 1 } }))).toEqual({ kind: 'duplicate' });
  });
});
