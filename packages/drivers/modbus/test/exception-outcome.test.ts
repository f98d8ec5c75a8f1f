import { describe, expect, it } from 'vitest';
import { ModbusExceptionError, exceptionOutcome } from '../src/errors.js';

describe('modbus > exception responses > outcome (spec §7)', () => {
  it('refused for the codes that say the request was not executed, unknown where the device may still act on it', () => {
    expect([1, 2, 3, 6, 0x0a].map(exceptionOutcome)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
    expect([4, 5, 0x0b].map(exceptionOutcome)).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('the error carries it, and the client can override it (read step of a read-modify-write: not_sent)', () => {
    const req = { functionCode: 6, address: 10, unitId: 1 };
    expect(new ModbusExceptionError(req, 5).outcome).toBe('unknown');
    expect(new ModbusExceptionError(req, 2).outcome).toBe('refused');
    expect(new ModbusExceptionError(req, 5, { outcome: 'not_sent' }).outcome).toBe('not_sent');
  });
});
