import { describe, expect, it } from 'vitest';
import { compileScope } from '../../src/rules/scope.js';

const r = (states: Record<string, string>, record_type: string | null = 'cycler_channel', values: Record<string, number> = {}, exact_values: Record<string, string> = {}) => ({ states, record_type, values, exact_values });

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

  it('matches value ranges, bounds excluded: charging as current above 0, whatever the status is called', () => {
    const charging = compileScope({ values: { current_a: { above: 0 } } });
    expect(charging(r({}, null, { current_a: 1.5 }))).toBe(true);
    expect(charging(r({}, null, { current_a: 0 }))).toBe(false);
    expect(charging(r({}, null, { current_a: -2 }))).toBe(false);
    expect(charging(r({}, null, {}))).toBe(false); // no current: out of scope
    expect(charging(r({}, null, {}, { current_a: '0.5' }))).toBe(true); // an exact decimal counts
    const window = compileScope({ values: { voltage_v: { above: 3, below: 4.2 } }, states: { state: ['running'] } });
    expect(window(r({ state: 'running' }, null, { voltage_v: 3.7 }))).toBe(true);
    expect(window(r({ state: 'running' }, null, { voltage_v: 4.2 }))).toBe(false);
    expect(window(r({ state: 'paused' }, null, { voltage_v: 3.7 }))).toBe(false);
  });
});
