/**
 * Corus actions: validation against the configured map (example map FL_b0040, itron-corus
 * reference README §7.3 ids plus the driver's invented live ids) happens before anything is
 * sent; the device's ACK/NAK becomes the result.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { CommandExecutor, corusCommanderSectionSchema, createCorusBinding } from '@busbar/actions';
import { EXAMPLE_CORUS_MAP } from '@busbar/driver-itron-corus';
import type { ParameterWrite, WriteResult } from '@busbar/driver-itron-corus';

const section = corusCommanderSectionSchema.parse({ devices: [{ id: 'corus-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 4000 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris' }] });
const binding = createCorusBinding(section, 'route.topic');

function cmd(action: string, parameters: Command['parameters'], device = 'corus-1'): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: device, channel: null }, action, parameters, dry_run: false } as Command;
}

/** A writer that records what it was asked and answers as told. */
function fakeWriter(answer: WriteResult['answer'] = 'ack') {
  const calls: ParameterWrite[][] = [];
  return {
    calls,
    writer: {
      writeParameters: async (w: readonly ParameterWrite[]): Promise<WriteResult> => {
        calls.push([...w]);
        return answer === 'ack' ? { accepted: true, answer, written: w.map((x) => ('name' in x ? x.name : String(x.id))), notWritten: [] } : { accepted: false, answer, written: [], notWritten: w.map((x) => ('name' in x ? x.name : String(x.id))) };
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
    expect(w.calls[0]!.map((x) => [('name' in x) && x.name, String(x.value)])).toEqual([['pressure_base_bar', '1.01325'], ['battery_days', '365']]);
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
    expect('name' in v && v.name).toBe('clock');
    expect((v.value as Date).toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it('turns a NAK into a failed result naming the answer, the vendor meaning and what was not written', async () => {
    const w = fakeWriter('nak');
    const executor = new CommandExecutor({ resolve: (c) => ({ kind: 'execute', action: binding.prepare(c, () => w.writer) }) });
    const handled = await executor.handle(cmd('corus.write_parameters', { display_contrast: '7' }));
    expect(handled.kind).toBe('result');
    const r = (handled as { result: { status: string; reason_code: string | null; reason: string | null } }).result;
    expect(r.status).toBe('FAILED');
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
});
