import { describe, expect, it } from 'vitest';
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import { CommandExecutor, CommandPipeline } from '@busbar/commands';
import type { Command, CommandResultInput } from '@busbar/avro';
import { RoutedCommandDispatcher, decoratedResultSink } from '../src/routing.js';

function cmd(id: string, device: string, action = 'x.write'): Command {
  const now = Date.now();
  return { command_id: id, issuer: 't', issued_at: new Date(now), expires_at: new Date(now + 60_000), target: { device_id: device, channel: null }, action, dry_run: false, parameters: {} };
}

/** A promise settled from outside. */
function gate(): { promise: Promise<void>; open(): void; fail(err: unknown): void } {
  let open!: () => void;
  let fail!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('collector-kit > RoutedCommandDispatcher', () => {
  it('runs the owned commands of a batch in order and skips the others', async () => {
    const ran: string[] = [];
    const d = new RoutedCommandDispatcher({ owns: (id) => id === 'mine', run: async (c) => void ran.push(c.command_id), logger: noopLogger });
    await d.handle([cmd('1', 'mine'), cmd('2', 'theirs'), cmd('3', 'mine')]);
    expect(ran).toEqual(['1', '3']);
    expect(d.inFlightCount).toBe(0);
  });

  it('awaits a non-concurrent command before the next one starts', async () => {
    const events: string[] = [];
    const g = gate();
    const d = new RoutedCommandDispatcher({
      owns: () => true,
      run: async (c) => {
        events.push(`start ${c.command_id}`);
        if (c.command_id === '1') await g.promise;
        events.push(`end ${c.command_id}`);
      },
      logger: noopLogger,
    });
    const batch = d.handle([cmd('1', 'a'), cmd('2', 'a')]);
    await tick();
    expect(events).toEqual(['start 1']);
    g.open();
    await batch;
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('does not wait for concurrent commands; drain() waits for them', async () => {
    const g = gate();
    const ran: string[] = [];
    const d = new RoutedCommandDispatcher({
      owns: () => true,
      concurrent: (c) => c.action === 'x.setpoint',
      run: async (c) => {
        if (c.action === 'x.setpoint') await g.promise;
        ran.push(c.command_id);
      },
      logger: noopLogger,
    });
    await d.handle([cmd('sp', 'a', 'x.setpoint'), cmd('stop', 'a')]);
    expect(ran).toEqual(['stop']); // default: the stop did not wait for the set-point
    expect(d.inFlightCount).toBe(1);
    let drained = false;
    const drain = d.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    g.open();
    await drain;
    expect(ran).toEqual(['stop', 'sp']);
    expect(d.inFlightCount).toBe(0);
  });

  it('with orderAfterConcurrent, a command waits for the same device\'s concurrent commands only', async () => {
    const gA = gate();
    const gB = gate();
    const ran: string[] = [];
    const d = new RoutedCommandDispatcher({
      owns: () => true,
      concurrent: (c) => c.action === 'x.setpoint',
      orderAfterConcurrent: true,
      run: async (c) => {
        if (c.command_id === 'spA') await gA.promise;
        if (c.command_id === 'spB') await gB.promise;
        ran.push(c.command_id);
      },
      logger: noopLogger,
    });
    const batch = d.handle([cmd('spA', 'a', 'x.setpoint'), cmd('spB', 'b', 'x.setpoint'), cmd('stopB', 'b'), cmd('stopA', 'a')]);
    await tick();
    expect(ran).toEqual([]); // stopB waits for spB
    gB.open();
    await tick();
    await tick();
    expect(ran).toEqual(['spB', 'stopB']); // stopA waits for spA; device a's set-point did not hold stopB back
    gA.open();
    await batch;
    expect(ran).toEqual(['spB', 'stopB', 'spA', 'stopA']);
  });

  it('logs a failing concurrent command and does not fail the batch; a failing ordered command does', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { ...noopLogger, error: (obj: unknown) => void logged.push(obj), child: () => logger };
    const d = new RoutedCommandDispatcher({
      owns: () => true,
      concurrent: (c) => c.action === 'x.setpoint',
      run: async (c) => {
        throw new Error(`boom ${c.command_id}`);
      },
      logger,
    });
    await expect(d.handle([cmd('sp', 'a', 'x.setpoint')])).resolves.toBeUndefined();
    await d.drain();
    expect(logged).toEqual([expect.objectContaining({ commandId: 'sp', err: expect.objectContaining({ message: 'boom sp' }) })]);
    await expect(d.handle([cmd('stop', 'a')])).rejects.toThrow('boom stop');
  });
});

describe('collector-kit > decoratedResultSink', () => {
  const result = (id: string): CommandResultInput => ({ command_id: id, device_id: 'a', channel: null, action: 'x.write', status: 'EXECUTED', reason_code: null, reason: null, timestamp: new Date(0), details: {} });

  it('publishes the result as it is without a decorator', async () => {
    const out: CommandResultInput[] = [];
    const sink = decoratedResultSink(async (r) => void out.push(r));
    const r = result('1');
    await sink(r, cmd('1', 'a'));
    expect(out).toEqual([r]);
  });

  it('decorates once per command: a failed publish is retried with the same decorated record', async () => {
    let decorations = 0;
    const attempts: CommandResultInput[] = [];
    let failNext = true;
    const sink = decoratedResultSink(
      async (r) => {
        attempts.push(r);
        if (failNext) {
          failNext = false;
          throw new Error('kafka down');
        }
      },
      (_c, r) => ({ ...r, details: { ...r.details, n: String(++decorations) } }),
    );
    const c = cmd('1', 'a');
    await expect(sink(result('1'), c)).rejects.toThrow('kafka down');
    await sink(result('1'), c);
    expect(decorations).toBe(1);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toBe(attempts[0]);
    expect(attempts[1]!.details).toEqual({ n: '1' });
    // acknowledged: a later command with another id is decorated afresh
    await sink(result('2'), cmd('2', 'a'));
    expect(attempts[2]!.details).toEqual({ n: '2' });
  });

  it('with a CommandPipeline: a redelivered command is not executed again and its result is decorated once', async () => {
    let executions = 0;
    let decorations = 0;
    let failNext = true;
    const published: CommandResultInput[] = [];
    const executor = new CommandExecutor({ resolve: () => ({ kind: 'execute', action: { summary: 'write', run: async () => ({ run: String(++executions) }) } }) });
    const pipeline = new CommandPipeline(executor, {
      publishResult: decoratedResultSink(
        async (r) => {
          if (failNext) {
            failNext = false;
            throw new Error('kafka down');
          }
          published.push(r);
        },
        (_c, r) => ({ ...r, details: { ...r.details, decorated: String(++decorations) } }),
      ),
    });
    const c = cmd('once', 'a');
    await expect(pipeline.process(c)).rejects.toThrow('kafka down');
    await pipeline.process(c); // the batch redelivered
    expect(executions).toBe(1);
    expect(decorations).toBe(1);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ command_id: 'once', status: 'EXECUTED', details: { run: '1', decorated: '1' } });
    expect(pipeline.pendingCount).toBe(0);
  });
});
