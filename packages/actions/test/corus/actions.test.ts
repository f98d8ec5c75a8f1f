/**
 * Corus actions: validation against the configured map (example map FL_b0040, itron-corus
 * reference README §7.3 ids plus the driver's invented live ids) happens before anything is
 * sent; the device's ACK/NAK becomes the result.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { corusCommanderSectionSchema, createCorusBinding } from '@busbar/actions';
import { CommandExecutor } from '@busbar/commands';
import { EXAMPLE_CORUS_MAP, Priority, formatCorusDateTime } from '@busbar/driver-itron-corus';
import type { CorusDateTime, WriteAnswer, WriteItem } from '@busbar/driver-itron-corus';

const section = corusCommanderSectionSchema.parse({ devices: [{ id: 'corus-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 4000 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris' }] });
const binding = createCorusBinding(section, 'route.topic');

function cmd(action: string, parameters: Command['parameters'], device = 'corus-1'): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: device, channel: null }, action, parameters, dry_run: false } as Command;
}

const nameOf = (id: number): string => binding.devices[0]!.corusMap.byId.get(id)?.name ?? String(id);

/**
 * A session queue that records what it was asked (each write frame's items, by name) and answers as
 * told; `slots` records the priority and retry flag of each queue slot.
 */
function fakeWriter(answer: WriteAnswer['answer'] = 'ack') {
  const calls: Array<Array<{ name: string; value: WriteItem['value'] }>> = [];
  const slots: Array<{ priority: number; retry: boolean | undefined }> = [];
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
      enqueue: async <T>(priority: number, run: (l: typeof link) => Promise<T>, retry?: boolean): Promise<T> => {
        slots.push({ priority, retry });
        return run(link);
      },
    },
  };
}

describe('actions > corus > binding', () => {
  it('routes every valid command (a Corus is single-session) and knows its devices', () => {
    expect(binding.actionPrefix).toBe('corus.');
    expect(binding.has('corus-1')).toBe(true);
    expect(binding.has('other')).toBe(false);
    expect(binding.resolve(cmd('corus.write_parameters', { pressure_base_bar: '1.01325' }))).toEqual({ kind: 'route', to: 'route.topic' });
    expect(binding.resolve(cmd('corus.set_clock', { time: '2024-05-01T12:00:00Z' }))).toEqual({ kind: 'route', to: 'route.topic' });
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
      binding.prepare(cmd(action, params as Command['parameters']), () => w.writer);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(sentence);
    expect(() => binding.resolve(cmd(action, params as Command['parameters']))).toThrow();
    expect(w.calls).toHaveLength(0);
  });

  it('writes exact decimals (text or number) and reports the ACK with the vendor code', async () => {
    const w = fakeWriter();
    const prepared = binding.prepare(cmd('corus.write_parameters', { pressure_base_bar: '1.01325', battery_days: 365 }), () => w.writer);
    expect(prepared.summary).toBe('write pressure_base_bar = 1.01325 bar, battery_days = 365 d');
    const details = await prepared.run();
    expect(details).toEqual({ answer: 'ACK', vendor_code: '0x06', written: 'pressure_base_bar,battery_days', 'value.pressure_base_bar': '1.01325', 'value.battery_days': '365' });
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]!.map((x) => [x.name, String(x.value)])).toEqual([['pressure_base_bar', '1.01325'], ['battery_days', '365']]);
    expect(w.slots).toEqual([{ priority: Priority.write, retry: false }]); // one write-priority slot, never retried
  });

  it('accepts a Float value the class holds exactly (the value the device would store)', () => {
    expect(binding.prepare(cmd('corus.write_parameters', { temperature_base_k: '288.149994' }), () => fakeWriter().writer).summary).toBe('write temperature_base_k = 288.149994 K');
  });

  it('sets the clock through the map\'s clock parameter as an instant', async () => {
    const w = fakeWriter();
    const prepared = binding.prepare(cmd('corus.set_clock', { time: '2024-05-01T12:00:00+02:00' }), () => w.writer);
    expect(prepared.summary).toBe('set clock clock = 2024-05-01T10:00:00.000Z (device zone Europe/Paris)');
    await prepared.run();
    const v = w.calls[0]![0]!;
    expect(v.name).toBe('clock');
    expect(formatCorusDateTime(v.value as CorusDateTime)).toBe('2024-05-01T12:00:00'); // 10:00Z in the device zone Europe/Paris (CEST)
  });

  it('turns a NAK before anything was written into a REJECTED result naming the answer, the vendor meaning and what was not written', async () => {
    const w = fakeWriter('nak');
    const executor = new CommandExecutor({ resolve: (c) => ({ kind: 'execute', action: binding.prepare(c, () => w.writer) }) });
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
    const executor = new CommandExecutor({ resolve: (c) => ({ kind: 'execute', action: binding.prepare(c, () => w.writer) }) });
    const bad = await executor.handle(cmd('corus.write_parameters', { pressure_base_bar: '9' }));
    expect(bad).toMatchObject({ kind: 'result', result: { status: 'REJECTED', reason_code: 'BB_CORUS_VALUE_OUT_OF_RANGE' } });
    const ok = await executor.handle(cmd('corus.write_parameters', { compressibility_formula: '3' }));
    expect(ok).toMatchObject({ kind: 'result', result: { status: 'EXECUTED', details: { answer: 'ACK', vendor_code: '0x06' } } });
    expect(w.calls).toHaveLength(1);
  });

  it('refuses an invalid device configuration naming the field', () => {
    expect(() => corusCommanderSectionSchema.parse({ devices: [{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 } }] })).toThrow(/exactly one of map or mapFile/);
    expect(() => corusCommanderSectionSchema.parse({ devices: [{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Mars/Olympus' }] })).toThrow(/unknown IANA time zone/);
    const s = corusCommanderSectionSchema.parse({ devices: [{ id: 'x', connection: { kind: 'tcp', host: 'h', port: 1 }, map: EXAMPLE_CORUS_MAP, pollParameters: ['nope'] }] });
    expect(() => createCorusBinding(s, 't')).toThrow(/devices\[0\]\.pollParameters\[0\]: "nope" is not a parameter of map b0040/);
  });

  it('a write whose expiry passes while it waits in the session queue → EXPIRED, nothing written', async () => {
    const w = fakeWriter();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // a queue busy with a log window until `release`
    const busy = { enqueue: async <T>(priority: number, run: (l: never) => Promise<T>, retry?: boolean): Promise<T> => held.then(() => w.writer.enqueue(priority, run as never, retry)) };
    let nowMs = Date.now();
    const clock = { nowMs: () => nowMs };
    const timed = createCorusBinding(section, 'route.topic', { clock });
    const executor = new CommandExecutor({ clock, resolve: (c) => ({ kind: 'execute', action: timed.prepare(c, () => busy) }) });
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
    const timed = createCorusBinding(section, 'route.topic', { clock });
    const executor = new CommandExecutor({ clock, resolve: (c) => ({ kind: 'execute', action: timed.prepare(c, () => w.writer) }) });
    const c = { ...cmd('corus.write_parameters', { display_contrast: '7' }), expires_at: new Date(nowMs + 1_000) };
    nowMs += 999;
    expect(await executor.handle(c)).toMatchObject({ kind: 'result', result: { status: 'EXECUTED' } });
    expect(w.calls.map((f) => f.map((x) => x.name))).toEqual([['display_contrast']]);
  });
});
