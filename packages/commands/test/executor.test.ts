import { describe, expect, it } from 'vitest';
import { BusbarError, ManualClock } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { CommandExecutor } from '../src/executor.js';
import { answersCommandId } from '../src/fields.js';
import { ExecutionJournal } from '../src/journal.js';
import type { CommandAuditEvent, Disposition } from '../src/executor.js';

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

describe('commands > CommandExecutor > bounded fields (before admission, nothing run)', () => {
  it('a 200,000-character command_id → REJECTED BB_COMMAND_FIELD_TOO_LONG, answered once under its digest, never run', async () => {
    const { ex, runs } = executorThrowing(undefined);
    const c = cmd({ command_id: 'x'.repeat(200_000) });
    const h = await ex.handle(c);
    expect(h).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: 'BB_COMMAND_FIELD_TOO_LONG', reason: 'command_id is 200000 characters long; the limit is 128', details: { field: 'command_id', length: '200000', limit: '128' } } });
    expect(h.kind === 'result' && h.result.command_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await ex.handle(c)).toEqual({ kind: 'duplicate' }); // a repeat of the same over-long id: no second result
    expect(runs()).toBe(0);
  });

  it('an over-long device id or action is echoed as its digest (the result stays bounded)', async () => {
    const { ex } = executorThrowing(undefined);
    const h = await ex.handle(cmd({ target: { device_id: 'd'.repeat(5000), channel: null }, action: 'a'.repeat(5000) }));
    expect(h).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_COMMAND_FIELD_TOO_LONG', device_id: expect.stringMatching(/^sha256:/), action: expect.stringMatching(/^sha256:/) } });
  });

  it('NaN / ±Infinity parameters → REJECTED BB_COMMAND_PARAMETER_NOT_FINITE before the module sees them', async () => {
    let resolved = 0;
    const ex = new CommandExecutor({ clock, resolve: () => ((resolved += 1), { kind: 'route', to: 'never' }) });
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(await ex.handle(cmd({ parameters: { value: v } }))).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_COMMAND_PARAMETER_NOT_FINITE', details: { parameter: 'value', value: String(v) } } });
    }
    expect(resolved).toBe(0);
  });

  it('an out-of-bounds command that is also expired is REJECTED for its field (one result)', async () => {
    const { ex } = executorThrowing(undefined);
    const h = await ex.handle(cmd({ issuer: 'i'.repeat(300), expires_at: new Date(clock.nowMs() - 1000) }));
    expect(h).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_COMMAND_FIELD_TOO_LONG', details: { field: 'issuer' } } });
  });
});

describe('commands > CommandExecutor > execution journal (after a restart)', () => {
  /** A fresh executor (a restarted process: empty id memory) on `journal`, whose action runs `act`. */
  function restarted(journal: ExecutionJournal, act: () => Promise<Record<string, string>> = async () => ({ done: 'yes' })): { ex: CommandExecutor; runs: () => number } {
    let runs = 0;
    const ex = new CommandExecutor({ clock, journal, resolve: () => ({ kind: 'execute', action: { summary: 'act', run: async () => ((runs += 1), act()) } }) });
    return { ex, runs: () => runs };
  }

  it('writes started before the device write and done with the result after it', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    const c = cmd();
    let during: unknown;
    const { ex } = restarted(journal, async () => ((during = journal.lookup(c.command_id)), { done: 'yes' }));
    const h = await ex.handle(c);
    expect(during).toMatchObject({ state: 'started' });
    expect(journal.lookup(c.command_id)).toEqual({ state: 'done', startedAtMs: clock.nowMs(), result: h.kind === 'result' ? h.result : undefined });
  });

  it('an id found done is answered with its stored result, not run again', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    const c = cmd();
    const first = restarted(journal);
    const h1 = await first.ex.handle(c); // executed; the process dies before the result is published
    const second = restarted(journal);
    const h2 = await second.ex.handle(c);
    expect(h2).toEqual(h1);
    expect(first.runs() + second.runs()).toBe(1);
  });

  it('an id found started but not done → FAILED BB_COMMAND_INTERRUPTED, outcome unknown, not run; the same answer after a further restart', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    const c = cmd();
    journal.started(c.command_id); // the process died during the device write
    const second = restarted(journal);
    const h = await second.ex.handle(c);
    expect(h).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_COMMAND_INTERRUPTED', details: { outcome: 'unknown' } } });
    expect(h.kind === 'result' && h.result.reason).toMatch(/may have executed it/);
    const third = restarted(journal);
    expect(await third.ex.handle(c)).toEqual(h);
    expect(second.runs() + third.runs()).toBe(0);
  });

  it('a failure is journaled with its outcome too', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    const c = cmd();
    const { ex } = restarted(journal, async () => {
      throw new BusbarError('BB_X_TIMEOUT', 'no reply', { outcome: 'unknown' });
    });
    await ex.handle(c);
    expect(journal.lookup(c.command_id)).toMatchObject({ state: 'done', result: { status: 'FAILED', details: { outcome: 'unknown' } } });
  });

  it('a journal that cannot be written → FAILED with outcome not_sent, nothing run', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    journal.close();
    const { ex, runs } = restarted(journal);
    expect(await ex.handle(cmd())).toMatchObject({ result: { status: 'FAILED', reason_code: 'BB_COMMAND_JOURNAL_UNUSABLE', details: { outcome: 'not_sent' } } });
    expect(runs()).toBe(0);
  });

  it('dry runs and refusals are not journaled', async () => {
    const journal = new ExecutionJournal({ path: ':memory:', retainMs: 3_600_000, clock });
    const { ex } = restarted(journal);
    await ex.handle(cmd({ dry_run: true }));
    await ex.handle(cmd({ parameters: { v: Number.NaN } }));
    expect(journal.size).toBe(0);
  });
});

describe('commands > CommandExecutor > policy and audit', () => {
  const refuseUnsigned = (c: Command): { keyId: string | null; signed: boolean } => {
    if (c.signature === null || c.signature === undefined) throw new CommandRefusedError('BB_COMMAND_UNSIGNED', `command ${c.command_id} is not signed`);
    return { keyId: c.key_id ?? null, signed: true };
  };

  function setup(): { ex: CommandExecutor; runs: () => number; events: CommandAuditEvent[] } {
    let runs = 0;
    const events: CommandAuditEvent[] = [];
    const resolve = (): Disposition => ({ kind: 'execute', action: { summary: 'act', run: async () => ({ runs: String(++runs) }) } });
    return { ex: new CommandExecutor({ clock, resolve, authorise: refuseUnsigned, audit: (e) => events.push(e) }), runs: () => runs, events };
  }

  it('a refusal by the policy is REJECTED with its code, nothing runs, and the id is not consumed', async () => {
    const { ex, runs, events } = setup();
    const c = cmd({ issuer: 'mallory' });
    expect(await ex.handle(c)).toMatchObject({ kind: 'result', result: { command_id: c.command_id, status: 'REJECTED', reason_code: 'BB_COMMAND_UNSIGNED' } });
    expect(runs()).toBe(0);
    expect(events.map((e) => `${e.event}:${e.outcome}:${e.code ?? ''}`)).toEqual(['refused:REJECTED:BB_COMMAND_UNSIGNED', 'result:REJECTED:BB_COMMAND_UNSIGNED']);
    expect(events[0]).toMatchObject({ commandId: c.command_id, issuer: 'mallory', keyId: null, deviceId: 'dev-1', action: 'x.act' });
    // the same id, now signed: admitted and executed (an unsigned forgery cannot burn a real command's id)
    expect(await ex.handle({ ...c, key_id: 'k1', signature: Buffer.alloc(64) })).toMatchObject({ result: { status: 'EXECUTED' } });
    expect(runs()).toBe(1);
  });

  it('an admitted command is audited admitted → executing → result, with its key id', async () => {
    const { ex, events } = setup();
    const c = cmd({ key_id: 'k1', signature: Buffer.alloc(64) });
    await ex.handle(c);
    expect(events.map((e) => [e.event, e.outcome, e.keyId])).toEqual([['admitted', 'ADMITTED', 'k1'], ['executing', 'EXECUTING', 'k1'], ['result', 'EXECUTED', 'k1']]);
    await ex.handle(c);
    expect(events.at(-1)).toMatchObject({ event: 'duplicate', outcome: 'DUPLICATE' });
  });

  it('an expired signed command is audited refused/EXPIRED', async () => {
    const { ex, events } = setup();
    await ex.handle(cmd({ key_id: 'k1', signature: Buffer.alloc(64), expires_at: new Date(clock.nowMs() - 1) }));
    expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual(['refused:EXPIRED', 'result:EXPIRED']);
  });

  it('a command with an over-long field is refused by the bounds check, before the policy looks at it', async () => {
    const { ex } = setup();
    expect(await ex.handle(cmd({ key_id: 'k'.repeat(129), signature: Buffer.alloc(64) }))).toMatchObject({ result: { status: 'REJECTED', reason_code: 'BB_COMMAND_FIELD_TOO_LONG', reason: 'key_id is 129 characters long; the limit is 128' } });
  });

  it('an unsigned command with an out-of-bounds field cannot burn a real command\'s id: refused before admission, the signed one still runs', async () => {
    const { ex, runs } = setup();
    const c = cmd({ issuer: 'm'.repeat(300) });
    expect(await ex.handle(c)).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: 'BB_COMMAND_FIELD_TOO_LONG' } });
    expect(await ex.handle({ ...c, issuer: 'alice', key_id: 'k1', signature: Buffer.alloc(64) })).toMatchObject({ result: { status: 'EXECUTED' } });
    expect(runs()).toBe(1);
  });

  it('a refused copy of an id already executed publishes nothing: the id keeps its one result', async () => {
    const { ex, runs } = setup();
    const c = cmd({ key_id: 'k1', signature: Buffer.alloc(64) });
    expect(await ex.handle(c)).toMatchObject({ result: { status: 'EXECUTED' } });
    expect(await ex.handle({ ...c, key_id: null, signature: null })).toEqual({ kind: 'duplicate' });
    expect(runs()).toBe(1);
  });
});

describe('commands > answersCommandId', () => {
  it('a refusal before admission does not answer its id; every other result does', () => {
    for (const code of ['BB_COMMAND_UNSIGNED', 'BB_COMMAND_UNKNOWN_KEY', 'BB_COMMAND_BAD_SIGNATURE', 'BB_COMMAND_FIELD_TOO_LONG', 'BB_COMMAND_PARAMETER_NOT_FINITE']) expect(answersCommandId({ status: 'REJECTED', reason_code: code }), code).toBe(false);
    expect(answersCommandId({ status: 'REJECTED', reason_code: 'BB_COMMAND_NOT_AUTHORISED' })).toBe(true); // an authenticated key holder's own id
    expect(answersCommandId({ status: 'EXECUTED', reason_code: null })).toBe(true);
    expect(answersCommandId({ status: 'FAILED', reason_code: 'BB_COMMAND_UNSIGNED' })).toBe(true);
  });
});
