import { describe, expect, it } from 'vitest';
import { BusbarError, errorCode, errorOutcome, isBusbarError } from '../src/index.js';

describe('core > errors', () => {
  it('carries code, retriable, context and cause', () => {
    const cause = new Error('socket closed');
    const err = new BusbarError('BB_MODBUS_TIMEOUT', 'no reply', { retriable: true, cause, context: { unitId: 3, big: 2n ** 64n } });
    expect(err.code).toBe('BB_MODBUS_TIMEOUT');
    expect(err.retriable).toBe(true);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('BusbarError');
    expect(err.toJSON()).toMatchObject({ code: 'BB_MODBUS_TIMEOUT', context: { unitId: 3, big: '18446744073709551616' } });
  });

  it('refuses a code not of the BB_<AREA>_<REASON> form', () => {
    expect(() => new BusbarError('TIMEOUT', 'x')).toThrow(TypeError);
    expect(() => new BusbarError('BB_modbus_x', 'x')).toThrow(TypeError);
  });

  it('subclasses keep their name and are recognised', () => {
    class ModbusError extends BusbarError {}
    const err = new ModbusError('BB_MODBUS_EXCEPTION', 'illegal address');
    expect(err.name).toBe('ModbusError');
    expect(isBusbarError(err)).toBe(true);
    expect(errorCode(err)).toBe('BB_MODBUS_EXCEPTION');
    expect(errorCode(new Error('x'))).toBe('BB_CORE_UNEXPECTED');
    expect(isBusbarError({ code: 'BB_X_Y', retriable: false })).toBe(false);
  });
});

describe('core > errors > outcome', () => {
  it('carries the command outcome where it was set, and errorOutcome reads it', () => {
    const sent = new BusbarError('BB_MACCOR_TIMEOUT', 'no reply', { retriable: true, outcome: 'unknown' });
    expect(sent.outcome).toBe('unknown');
    expect(errorOutcome(sent)).toBe('unknown');
    expect(sent.toJSON()).toMatchObject({ outcome: 'unknown' });
    const plain = new BusbarError('BB_CORE_INVALID_ARGUMENT', 'x');
    expect(plain.outcome).toBeUndefined();
    expect(errorOutcome(plain)).toBeUndefined();
    expect('outcome' in plain.toJSON()).toBe(false);
    expect(errorOutcome(new Error('x'))).toBeUndefined();
  });
});
