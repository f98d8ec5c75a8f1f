import { describe, expect, it } from 'vitest';
import { compileScope } from '../../src/rules/scope.js';

const r = (states: Record<string, string>, record_type: string | null = 'cycler_channel') => ({ states, record_type });

describe('alerter > rules > scope', () => {
  it('puts every reading in scope without a scope', () => {
    expect(compileScope(undefined)(r({}, null))).toBe(true);
  });

  it('needs every state given to be present and match one of its globs', () => {
    const charging = compileScope({ states: { status: ['Charge', 'CC*Charge'], test_name: ['cell-*'] } });
    expect(charging(r({ status: 'Charge', test_name: 'cell-042' }))).toBe(true);
    expect(charging(r({ status: 'CCCV_Charge', test_name: 'cell-042' }))).toBe(true);
    expect(charging(r({ status: 'Rest', test_name: 'cell-042' }))).toBe(false);
    expect(charging(r({ status: 'Charge', test_name: 'pack-1' }))).toBe(false);
    expect(charging(r({ status: 'Charge' }))).toBe(false); // no test name: out of scope
    expect(charging(r({ status: 'charge', test_name: 'cell-042' }))).toBe(false); // case as the device reports
  });

  it('matches record types by glob; a reading without one is out of scope', () => {
    const modbus = compileScope({ recordTypes: ['modbus:*'] });
    expect(modbus(r({}, 'modbus:bms'))).toBe(true);
    expect(modbus(r({}, 'cycler_channel'))).toBe(false);
    expect(modbus(r({}, null))).toBe(false);
  });
});
