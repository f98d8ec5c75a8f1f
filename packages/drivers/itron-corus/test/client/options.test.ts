/** Link options (README §2, §3, §10): defaults, partial overrides, validation naming the field. */
import { describe, expect, it } from 'vitest';
import { corusLinkOptionsSchema, corusSerialOptionsSchema, DEFAULT_LINK_OPTIONS, resolveLinkOptions } from '../../src/client/options.js';
import { serialTransport } from '../../src/client/transport.js';

describe('Client > link options', () => {
  it('no options → the documented defaults (echoed Z, V 0, Y 6, 200 wake-up bytes, §10 timeouts)', () => {
    const r = resolveLinkOptions();
    expect(r).toEqual(DEFAULT_LINK_OPTIONS);
    expect(r.optionSelect).toEqual({ v: '0', z: 'echo', y: '6' });
    expect(r.wakeupBytes).toBe(200);
    expect(r.timeouts).toMatchObject({ wakeupMs: 5000, identificationMs: 10_000, passwordMs: 5000, responseMs: 10_000, interCharacterMs: 2000, answerSettleMs: 50 });
    expect(r.password).toBeUndefined();
  });
  it('a partial object keeps the other defaults, nested ones too', () => {
    const r = resolveLinkOptions({ optionSelect: { z: '7' }, timeouts: { responseMs: 300 }, deviceAddress: '42', password: 'ABCD' });
    expect(r.optionSelect).toEqual({ v: '0', z: '7', y: '6' });
    expect(r.timeouts.responseMs).toBe(300);
    expect(r.timeouts.writeAckMs).toBe(5000);
    expect(r.deviceAddress).toBe('42');
    expect(r.password).toBe('ABCD');
  });
  it('unknown keys (a session passing its own options) are dropped, not refused', () => {
    const r = resolveLinkOptions({ ...{ map: 'x', deviceId: 'corus-1' }, wakeupAttempts: 1 } as never);
    expect(r.wakeupAttempts).toBe(1);
    expect(r).not.toHaveProperty('map');
  });
  const bad: [string, unknown, string][] = [
    ['fewer than 12 wake-up bytes', { wakeupBytes: 5 }, 'wakeupBytes'],
    ['a Z that is neither echo nor a digit', { optionSelect: { z: '77' } }, 'optionSelect.z'],
    ['a mode character of two digits', { optionSelect: { y: '66' } }, 'optionSelect.y'],
    ['a negative response timeout', { timeouts: { responseMs: -1 } }, 'timeouts.responseMs'],
    ['an inter-character timeout of 0', { timeouts: { interCharacterMs: 0 } }, 'timeouts.interCharacterMs'],
    ['a password with a non-ASCII character', { password: 'PÄSS' }, 'password'],
    ['a device address with !', { deviceAddress: 'a!' }, 'deviceAddress'],
  ];
  for (const [what, input, field] of bad) {
    it(`${what} → BB_CORUS_CONFIG_INVALID naming ${field}`, () => {
      expect(() => resolveLinkOptions(input as never)).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', retriable: false, message: expect.stringContaining(`${field}:`) }));
    });
  }
  it('the zod schemas parse to the resolved shape (for a device file)', () => {
    expect(corusLinkOptionsSchema.parse({})).toEqual(DEFAULT_LINK_OPTIONS);
    expect(corusSerialOptionsSchema.parse({})).toEqual({ signOnBaudRate: 1200, baudSwitchDelayMs: 20 });
  });
  it('serial line options are checked when the transport factory is made', () => {
    expect(() => serialTransport({ path: '/dev/ttyS9', signOnBaudRate: 0 })).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('signOnBaudRate') }));
  });
});
