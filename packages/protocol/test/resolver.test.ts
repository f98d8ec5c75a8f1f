import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusbarError, ManualClock, noopLogger, noopMetrics } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { SharedSessions, commandResolver, deviceTable } from '../src/resolver.js';
import { defineAction } from '../src/module.js';
import type { DeviceConfigBase, ProtocolModule, Session } from '../src/module.js';

/** A protocol of counters: `count.add` adds `n` (≤ the device's `max`) to the session's total. */
interface CounterDevice extends DeviceConfigBase {
  readonly max: number;
  readonly session: 'shared' | 'exclusive';
}
interface CounterSession extends Session {
  readonly id: number;
  total: number;
  fail?: unknown;
  loseNow(): void;
  closed: boolean;
}

function counterModule(): { module: ProtocolModule<CounterDevice, CounterSession>; opened: CounterSession[]; openFails: { next?: unknown } } {
  const opened: CounterSession[] = [];
  const openFails: { next?: unknown } = {};
  const module: ProtocolModule<CounterDevice, CounterSession> = {
    protocol: 'counter',
    actionPrefix: 'count.',
    devicesSchema: z.array(z.object({ id: z.string(), pollIntervalMs: z.number().default(1000), max: z.number(), session: z.enum(['shared', 'exclusive']) })),
    resolveDevices: (d) => d,
    sessionMode: (d) => d.session,
    open: async () => {
      if (openFails.next !== undefined) {
        const e = openFails.next;
        openFails.next = undefined;
        throw e;
      }
      let lose: (e: Error) => void = () => undefined;
      const s: CounterSession = { id: opened.length + 1, total: 0, closed: false, lost: new Promise((r) => (lose = r)), loseNow: () => lose(new Error('gone')), close: async () => void (s.closed = true) };
      opened.push(s);
      return s;
    },
    poll: async (s) => s.total,
    toRecords: () => ({ readings: [] }),
    actions: {
      'count.add': defineAction<CounterDevice, CounterSession, { n: number }>({
        validate: (cmd, device) => {
          const n = cmd.parameters.n;
          if (typeof n !== 'number' || n > device.max) throw new CommandRefusedError('BB_COMMAND_OUT_OF_RANGE', `n must be ≤ ${device.max}`);
          return { n };
        },
        describe: (p) => `add ${p.n}`,
        execute: async (s, p, ctx) => {
          ctx.beforeSend();
          if (s.fail !== undefined) {
            const e = s.fail;
            s.fail = undefined;
            throw e;
          }
          s.total += p.n;
          return { total: String(s.total) };
        },
      }),
    },
  };
  return { module, opened, openFails };
}

const clock = new ManualClock(Date.UTC(2026, 11, 3));
let seq = 0;
function cmd(device: string, action: string, parameters: Record<string, unknown>): Command {
  return { command_id: `c${++seq}`, issuer: 't', issued_at: new Date(clock.nowMs()), expires_at: new Date(clock.nowMs() + 10_000), target: { device_id: device, channel: null }, action, parameters: parameters as Command['parameters'], dry_run: false };
}

describe('protocol > commandResolver', () => {
  const { module } = counterModule();
  const devices: CounterDevice[] = [{ id: 'a', pollIntervalMs: 1000, max: 5, session: 'shared' }, { id: 'b', pollIntervalMs: 1000, max: 5, session: 'exclusive' }];
  const table = deviceTable([{ module, devices }]);
  const ran: string[] = [];
  const resolve = commandResolver(table, { owner: 'the commander', clock, place: (e) => (e.module.sessionMode(e.device) === 'exclusive' ? { route: 'routed.v1' } : { run: async (entry, fn) => { ran.push(entry.device.id); return fn({ lost: new Promise(() => undefined), close: async () => undefined, total: 0 } as unknown as CounterSession); } }) });

  it('refuses an unknown device, an action of another protocol, an action the protocol lacks, and a parameter beyond the limit — before anything runs', () => {
    expect(() => resolve(cmd('zz', 'count.add', { n: 1 }))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_UNKNOWN_DEVICE', message: 'device zz is not configured in the commander' }));
    expect(() => resolve(cmd('a', 'modbus.write', { n: 1 }))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_UNKNOWN_ACTION', message: expect.stringContaining('a counter device; action modbus.write does not apply (expected count.*)') }));
    expect(() => resolve(cmd('a', 'count.sub', { n: 1 }))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_UNKNOWN_ACTION', message: expect.stringContaining('supported: count.add') }));
    expect(() => resolve(cmd('a', 'count.add', { n: 9 }))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_OUT_OF_RANGE' }));
    expect(ran).toEqual([]);
  });

  it('routes an exclusive-session device, runs a shared one with the plan and summary', async () => {
    expect(resolve(cmd('b', 'count.add', { n: 1 }))).toEqual({ kind: 'route', to: 'routed.v1' });
    const d = resolve(cmd('a', 'count.add', { n: 2 }));
    expect(d.kind).toBe('execute');
    if (d.kind !== 'execute') return;
    expect(d.action.summary).toBe('add 2');
    await expect(d.action.run()).resolves.toEqual({ total: '2' });
    expect(ran).toEqual(['a']);
  });

  it('checks expiry right before the bytes leave (beforeSend)', async () => {
    const c = cmd('a', 'count.add', { n: 1 });
    const d = resolve(c);
    clock.advance(20_000);
    if (d.kind !== 'execute') throw new Error('expected execute');
    await expect(d.action.run()).rejects.toMatchObject({ code: 'BB_COMMAND_EXPIRED' });
  });

  it('refuses one device id under two protocols', () => {
    const other = { ...module, protocol: 'other' };
    expect(() => deviceTable([{ module, devices: [{ id: 'x', pollIntervalMs: 1, max: 1, session: 'shared' } as CounterDevice] }, { module: other, devices: [{ id: 'x', pollIntervalMs: 1 } as CounterDevice] }])).toThrow(/device id x is configured under counter and other/);
  });
});

describe('protocol > SharedSessions', () => {
  const device: CounterDevice = { id: 'a', pollIntervalMs: 1000, max: 5, session: 'shared' };

  it('opens on the first command and keeps the session; a refusal keeps it, a retriable failure of unknown outcome drops it', async () => {
    const { module, opened } = counterModule();
    const pool = new SharedSessions({ logger: noopLogger, metrics: noopMetrics });
    const entry = { module, device };
    const add = (n: number) => pool.run(entry, async (s) => ((s as CounterSession).total += n));
    await add(1);
    await add(1);
    expect(opened).toHaveLength(1);
    opened[0]!.fail = new BusbarError('BB_X_REFUSED', 'no', { retriable: true, outcome: 'refused' });
    await expect(pool.run(entry, async (s) => { const c = s as CounterSession; if (c.fail) { const e = c.fail; c.fail = undefined; throw e; } })).rejects.toMatchObject({ code: 'BB_X_REFUSED' });
    await add(1);
    expect(opened).toHaveLength(1);
    await expect(pool.run(entry, async () => { throw new BusbarError('BB_X_TIMEOUT', 'no reply', { retriable: true, outcome: 'unknown' }); })).rejects.toMatchObject({ code: 'BB_X_TIMEOUT' });
    expect(opened[0]!.closed).toBe(true);
    await add(1);
    expect(opened).toHaveLength(2);
    await pool.close();
    expect(opened[1]!.closed).toBe(true);
  });

  it('forgets a session that reports its loss, and says not_sent when the device cannot be reached', async () => {
    const { module, opened, openFails } = counterModule();
    const pool = new SharedSessions({ logger: noopLogger, metrics: noopMetrics });
    const entry = { module, device };
    await pool.run(entry, async () => 1);
    opened[0]!.loseNow();
    await new Promise((r) => setImmediate(r));
    await pool.run(entry, async () => 1);
    expect(opened).toHaveLength(2);
    opened[1]!.loseNow();
    await new Promise((r) => setImmediate(r));
    openFails.next = new Error('ECONNREFUSED');
    await expect(pool.run(entry, async () => 1)).rejects.toMatchObject({ code: 'BB_COMMAND_DEVICE_UNAVAILABLE', outcome: 'not_sent', retriable: true, message: 'device a is not reachable: ECONNREFUSED' });
  });

  it('runs the commands of one device one at a time, in order', async () => {
    const { module } = counterModule();
    const pool = new SharedSessions({ logger: noopLogger, metrics: noopMetrics });
    const entry = { module, device };
    const log: string[] = [];
    let release: () => void = () => undefined;
    const first = pool.run(entry, async () => { log.push('1 start'); await new Promise<void>((r) => (release = r)); log.push('1 end'); });
    const second = pool.run(entry, async () => void log.push('2'));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['1 start']);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['1 start', '1 end', '2']);
  });
});
