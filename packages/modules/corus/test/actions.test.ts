/**
 * Corus actions: validation against the configured map (example map FL_b0040, itron-corus
 * reference README §7.3 ids plus the driver's invented live ids) happens before anything is
 * sent; the device's ACK/NAK becomes the result. Run as the commander (validate, then route) and as
 * the collector (validate, then execute on the session) run them: through the protocol's command
 * resolver and the `CommandExecutor`.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import type { Clock } from '@busbar/core';
import { CommandExecutor } from '@busbar/commands';
import { EXAMPLE_CORUS_MAP, Priority, formatCorusDateTime } from '@busbar/driver-itron-corus';
import type { CorusDateTime, WriteAnswer, WriteItem } from '@busbar/driver-itron-corus';
import { commandResolver, deviceTable } from '@busbar/protocol';
import type { Session } from '@busbar/protocol';
import type { CorusWriter } from '../src/actions.js';
import { corusDevicesSchema, resolveCorusDevices } from '../src/device-config.js';
import { createCorusModule } from '../src/module.js';

const module = createCorusModule();
const devices = resolveCorusDevices(corusDevicesSchema.parse([{ id: 'corus-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 4000 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris' }]), '.');
const table = deviceTable([{ module, devices }]);
/** The commander's resolver: validates, then routes (every Corus is single-session). */
const routing = commandResolver(table, { owner: 'the commander', place: (entry) => (module.sessionMode(entry.device as never) === 'exclusive' ? { route: 'route.topic' } : { run: () => Promise.reject(new Error('never')) }) });

/** The collector's executor: validates, then runs on a session whose queue is `writer`. */
function executorOn(writer: CorusWriter, clock?: Clock): CommandExecutor {
  const resolve = commandResolver(table, { owner: 'this collector', clock, place: () => ({ run: (_entry, fn) => fn({ corus: writer } as unknown as Session) }) });
  return new CommandExecutor({ clock, resolve });
}

/** Validates and describes a command as the module does (pure). */
function validate(c: Command): string {
  const action = module.actions[c.action];
  if (action === undefined) return routing(c).kind; // throws the resolver's refusal
  return action.describe(action.validate(c, devices[0]!));
}

/** Runs a command on `writer`; the result's details, or throws the error. */
async function run(c: Command, writer: CorusWriter): Promise<Record<string, string>> {
  const d = commandResolver(table, { owner: 'this collector', place: () => ({ run: (_entry, fn) => fn({ corus: writer } as unknown as Session) }) })(c);
  if (d.kind !== 'execute') throw new Error('expected execute');
  return d.action.run();
}

function cmd(action: string, parameters: Command['parameters'], device = 'corus-1'): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: device, channel: null }, action, parameters, dry_run: false } as Command;
}

const nameOf = (id: number): string => devices[0]!.corusMap.byId.get(id)?.name ?? String(id);

/**
 * A session queue that records what it was asked (each write frame's items, by name) and answers as
 * told; `slots` records the priority of each queue slot (and that no retry flag is passed).
 */
function fakeWriter(answer: WriteAnswer['answer'] = 'ack') {
  const calls: Array<Array<{ name: string; value: WriteItem['value'] }>> = [];
  const slots: Array<{ priority: number; args: number }> = [];
  const link = {
    writeParameters: async (items: readonly WriteItem[]): Promise<WriteAnswer> => {
      calls.push(items.map((it) => ({ name: nameOf(it.id), value: it.value })));
      return answer === 'ack' ? { accepted: true, answer } : { accepted: false, answer };
    },
  };
  return {
    calls,
    slots,
    writer: {
      enqueue: async <T>(priority: number, run: (l: typeof link) => Promise<T>, ...rest: unknown[]): Promise<T> => {
        slots.push({ priority, args: 2 + rest.length });
        return run(link);
      },
    },
  };
}

describe('modules > corus > actions', () => {
  it('routes every valid command (a Corus is single-session) and knows its devices', () => {
    expect(module.actionPrefix).toBe('corus.');
    expect(module.sessionMode(devices[0]!)).toBe('exclusive');
    expect(routing(cmd('corus.write_parameters', { pressure_base_bar: '1.01325' }))).toEqual({ kind: 'route', to: 'route.topic' });
    expect(routing(cmd('corus.set_clock', { time: '2024-05-01T12:00:00Z' }))).toEqual({ kind: 'route', to: 'route.topic' });
    expect(() => routing(cmd('corus.set_clock', { time: '2024-05-01T12:00:00Z' }, 'other'))).toThrow(expect.objectContaining({ code: 'BB_COMMAND_UNKNOWN_DEVICE' }));
  });

  it.each([
    ['corus.write_parameters', { volume_converted_m3: '1' }, 'BB_CORUS_NOT_WRITABLE', 'volume_converted_m3 (id 149) is not writable'],
    ['corus.write_parameters', { pressure_base_bar: '2.5' }, 'BB_CORUS_VALUE_OUT_OF_RANGE', 'pressure_base_bar = 2.5 bar is above the configured maximum 2 bar'],
    ['corus.write_parameters', { battery_days: '-1' }, 'BB_CORUS_VALUE_OUT_OF_RANGE', 'battery_days = -1 d is below the configured minimum 0 d'],
    ['corus.write_parameters', { battery_days: '1.5' }, 'BB_CORUS_VALUE_OUT_OF_RANGE', 'battery_days'],
    ['corus.write_parameters', { temperature_base_k: '288.15' }, 'BB_CORUS_VALUE_OUT_OF_RANGE', 'temperature_base_k = 288.15 cannot be held exactly by its class Float: the device would store 288.149994'],
    ['corus.write_parameters', { battery_days: 'lots' }, 'BB_CORUS_VALUE_TYPE', 'battery_days: not a decimal number'],
    ['corus.write_parameters', { battery_days: true }, 'BB_CORUS_VALUE_TYPE', 'needs an exact decimal as text'],
    ['corus.write_parameters', { no_such: '1' }, 'BB_CORUS_UNKNOWN_PARAMETER', 'has no parameter no_such'],
    ['corus.write_parameters', {}, 'BB_COMMAND_PARAMETER_MISSING', 'at least one'],
    ['corus.write_parameters', { clock: '2024-05-01 12:00' }, 'BB_CORUS_VALUE_TYPE', 'ISO 8601 instant with a zone'],
    ['corus.write_parameters', { pressure_base_bar: '1.01325', volume_converted_m3: '1' }, 'BB_CORUS_NOT_WRITABLE', 'volume_converted_m3'],
    ['corus.set_clock', {}, 'BB_COMMAND_PARAMETER_MISSING', 'parameter time is required'],
    ['corus.set_clock', { time: '2024-05-01T12:00:00' }, 'BB_CORUS_VALUE_TYPE', 'with a zone'],
    ['corus.set_clock', { time: '2024-05-01T12:00:00Z', x: 1 }, 'BB_COMMAND_PARAMETER_INVALID', 'only parameter time'],
    ['corus.reboot', {}, 'BB_COMMAND_UNKNOWN_ACTION', 'supported: corus.write_parameters, corus.set_clock'],
  ] as const)('%s %j is refused with %s before anything is sent', (action, params, code, sentence) => {
    const w = fakeWriter();
    let err: unknown;
    try {
      validate(cmd(action, params as Command['parameters']));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(sentence);
    expect(() => routing(cmd(action, params as Command['parameters']))).toThrow();
    expect(w.calls).toHaveLength(0);
  });

  it('writes exact decimals (text or number) and reports the ACK with the vendor code', async () => {
    const w = fakeWriter();
    const c = cmd('corus.write_parameters', { pressure_base_bar: '1.01325', battery_days: 365 });
    expect(validate(c)).toBe('write pressure_base_bar = 1.01325 bar, battery_days = 365 d');
    const details = await run(c, w.writer);
    expect(details).toEqual({ answer: 'ACK', vendor_code: '0x06', written: 'pressure_base_bar,battery_days', 'value.pressure_base_bar': '1.01325', 'value.battery_days': '365' });
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]!.map((x) => [x.name, String(x.value)])).toEqual([['pressure_base_bar', '1.01325'], ['battery_days', '365']]);
    expect(w.slots).toEqual([{ priority: Priority.write, args: 2 }]); // one write-priority slot, run once (the session never retries)
  });

  it('accepts a Float value the class holds exactly (the value the device would store)', () => {
    expect(validate(cmd('corus.write_parameters', { temperature_base_k: '288.149994' }))).toBe('write temperature_base_k = 288.149994 K');
  });

  it('sets the clock through the map\'s clock parameter as an instant', async () => {
    const w = fakeWriter();
    const c = cmd('corus.set_clock', { time: '2024-05-01T12:00:00+02:00' });
    expect(validate(c)).toBe('set clock clock = 2024-05-01T10:00:00.000Z (device zone Europe/Paris)');
    await run(c, w.writer);
    const v = w.calls[0]![0]!;
    expect(v.name).toBe('clock');
    expect(formatCorusDateTime(v.value as CorusDateTime)).toBe('2024-05-01T12:00:00'); // 10:00Z in the device zone Europe/Paris (CEST)
  });

  it('turns a NAK before anything was written into a REJECTED result naming the answer, the vendor meaning and what was not written', async () => {
    const w = fakeWriter('nak');
    const executor = executorOn(w.writer);
    const handled = await executor.handle(cmd('corus.write_parameters', { display_contrast: '7' }));
    expect(handled.kind).toBe('result');
    const r = (handled as { result: { status: string; reason_code: string | null; reason: string | null } }).result;
    expect(r.status).toBe('REJECTED'); // the device refused it: nothing was written
    expect(r.reason_code).toBe('BB_CORUS_WRITE_REFUSED');
    expect(r.reason).toContain('NAK (0x15): the device refused the write');
    expect(r.reason).toContain('not written: display_contrast');
  });

  it('an executor REJECTS refusals (never FAILED) and a write is sent once', async () => {
    const w = fakeWriter();
    const executor = executorOn(w.writer);
    const bad = await executor.handle(cmd('corus.write_parameters', { pressure_base_bar: '9' }));
    expect(bad).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: 'BB_CORUS_VALUE_OUT_OF_RANGE' } });
    const ok = await executor.handle(cmd('corus.write_parameters', { compressibility_formula: '3' }));
    expect(ok).toMatchObject({ kind: 'result', result: { status: 'EXECUTED', details: { answer: 'ACK', vendor_code: '0x06' } } });
    expect(w.calls).toHaveLength(1);
  });

  it('refuses an invalid device configuration naming the field', () => {
    expect(() => module.devicesSchema.parse([{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 } }])).toThrow(/exactly one of map or mapFile/);
    expect(() => module.devicesSchema.parse([{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Mars/Olympus' }])).toThrow(/unknown IANA time zone/);
    const s = module.devicesSchema.parse([{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 }, map: EXAMPLE_CORUS_MAP, pollParameters: ['nope'] }]);
    expect(() => module.resolveDevices(s, '.')).toThrow(/devices\[id=x\]\.pollParameters\[0\]: "nope" is not a parameter of map b0040/);
  });

  it('a write whose expiry passes while it waits in the session queue → EXPIRED, nothing written', async () => {
    const w = fakeWriter();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // a queue busy with a log window until `release`
    const busy = { enqueue: async <T>(priority: number, run: (l: never) => Promise<T>): Promise<T> => held.then(() => w.writer.enqueue(priority, run as never)) };
    let nowMs = Date.now();
    const clock = { nowMs: () => nowMs };
    const executor = executorOn(busy, clock);
    const c = { ...cmd('corus.write_parameters', { display_contrast: '7' }), expires_at: new Date(nowMs + 1_000) };
    const pending = executor.handle(c); // admitted and validated in time
    nowMs += 1_000; // expiry passes while the write waits
    release();
    const handled = await pending;
    expect(handled).toMatchObject({ kind: 'result', result: { status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' } });
    expect(w.slots).toHaveLength(1); // it reached the queue slot...
    expect(w.calls).toEqual([]); // ...and nothing was written
  });

  it('a write that reaches its slot in time is written (the check is at the wire, not only at admission)', async () => {
    const w = fakeWriter();
    let nowMs = Date.now();
    const clock = { nowMs: () => nowMs };
    const executor = executorOn(w.writer, clock);
    const c = { ...cmd('corus.write_parameters', { display_contrast: '7' }), expires_at: new Date(nowMs + 1_000) };
    nowMs += 999;
    expect(await executor.handle(c)).toMatchObject({ kind: 'result', result: { status: 'EXECUTED' } });
    expect(w.calls.map((f) => f.map((x) => x.name))).toEqual([['display_contrast']]);
  });
});
