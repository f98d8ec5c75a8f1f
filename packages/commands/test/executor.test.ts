import { describe, expect, it } from 'vitest';
import { BusbarError, ManualClock } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { CommandExecutor } from '../src/index.js';
import type { Disposition } from '../src/index.js';

const clock = new ManualClock(Date.UTC(2026, 11, 3));
let n = 0;
function cmd(over: Partial<Command> = {}): Command {
  return { command_id: `c-${++n}`, issuer: 't', issued_at: new Date(clock.nowMs()), expires_at: new Date(clock.nowMs() + 60_000), target: { device_id: 'dev-1', channel: null }, action: 'x.act', parameters: {}, dry_run: false, ...over };
}

/** An executor whose action throws `err` (or succeeds when `err` is undefined), counting runs. */
function executorThrowing(err: unknown): { ex: CommandExecutor; runs: () => number } {
  let runs = 0;
  const resolve = (): Disposition => ({
    kind: 'execute',
    action: {
      summary: 'act',
      run: async () => {
        runs++;
        if (err !== undefined) throw err;
        return { done: 'yes' };
      },
    },
  });
  return { ex: new CommandExecutor({ clock, resolve }), runs: () => runs };
}

describe('commands > CommandExecutor > outcome of a failed execution (mapped once, from the error)', () => {
  it('refused by the device → REJECTED with the vendor context', async () => {
    const { ex } = executorThrowing(new BusbarError('BB_X_REFUSED', 'tester said no', { outcome: 'refused', context: { vendor_code: 7 } }));
    expect(await ex.handle(cmd())).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: 'BB_X_REFUSED', reason: 'tester said no', details: { vendor_code: '7', summary: 'act' } } });
  });

  it('a CommandRefusedError without an outcome (pacing, a guard in the module) → REJECTED', async () => {
    const { ex } = executorThrowing(new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', 'superseded'));
    expect(await ex.handle(cmd())).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_COMMAND_PARAMETER_INVALID' } });
  });

  it('not sent → FAILED with outcome not_sent', async () => {
    const { ex } = executorThrowing(new BusbarError('BB_X_NOT_CONNECTED', 'not connected', { retriable: true, outcome: 'not_sent' }));
    const h = await ex.handle(cmd());
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_X_NOT_CONNECTED', reason: 'not connected', details: { outcome: 'not_sent' } } });
  });

  it('sent without an answer → FAILED with outcome unknown, and the reason says the device may have executed it', async () => {
    const { ex } = executorThrowing(new BusbarError('BB_X_TIMEOUT', 'no reply in 500 ms', { retriable: true, outcome: 'unknown' }));
    const h = await ex.handle(cmd());
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_X_TIMEOUT', details: { outcome: 'unknown' } } });
    expect(h.kind === 'result' && h.result.reason).toMatch(/^no reply in 500 ms \(outcome unknown: .*may have executed it\)$/);
  });

  it('an error with no outcome stays a plain FAILED (no outcome detail)', async () => {
    const { ex } = executorThrowing(new Error('boom'));
    const h = await ex.handle(cmd());
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_CORE_UNEXPECTED', reason: 'boom' } });
    expect(h.kind === 'result' && h.result.details).not.toHaveProperty('outcome');
  });

  it('runs the action once per id; a success is EXECUTED with the action details', async () => {
    const { ex, runs } = executorThrowing(undefined);
    const c = cmd();
    expect(await ex.handle(c)).toMatchObject({ result: { status: 'EXECUTED', details: { summary: 'act', done: 'yes' } } });
    expect(await ex.handle(c)).toEqual({ kind: 'duplicate' });
    expect(runs()).toBe(1);
  });
});
