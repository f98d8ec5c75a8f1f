import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, errorCode } from '@busbar/core';
import { InterlockEngine } from '../../src/interlock/engine.js';
import type { InterlockStep } from '../../src/interlock/engine.js';
import { exampleConfig } from '../support/config.js';

const NODES = [1, 2, 3, 4, 5, 6, 7, 8];
const HEALTHY_BMU = { module_voltage_v: 47.3, max_temperature_c: 25, max_cell_voltage_v: 3.95, min_cell_voltage_v: 3.9 };
const HEALTHY_PCS = { battery_voltage_v: 378 };
const HEALTHY_ARDUINO = { temperature_1_c: 24 };

describe('Safety rig > interlock > engine', () => {
  let clock: ManualClock;
  let engine: InterlockEngine;

  /** Every input reports healthy values now. */
  function healthy(): void {
    for (const n of NODES) engine.update(`bmu:${n}`, HEALTHY_BMU, clock.nowMs());
    engine.update('pcs', HEALTHY_PCS, clock.nowMs());
    engine.update('arduino', HEALTHY_ARDUINO, clock.nowMs());
  }
  const bmu = (node: number, values: Record<string, number>): InterlockStep => engine.update(`bmu:${node}`, { ...HEALTHY_BMU, ...values }, clock.nowMs());

  beforeEach(() => {
    clock = new ManualClock(1_000_000);
    engine = new InterlockEngine(exampleConfig(), clock.nowMs());
    healthy();
  });

  it('stays normal on healthy values and asks for nothing', () => {
    clock.advance(1000);
    healthy();
    expect(engine.state).toBe('normal');
    expect(engine.evaluate(clock.nowMs())).toEqual({ transitions: [], actions: [] });
  });

  it('a warning cell voltage: warning with the rule, input and value, and the configured corrective set-point', () => {
    const step = bmu(3, { max_cell_voltage_v: 4.15 });
    expect(engine.state).toBe('warning');
    expect(step.transitions).toEqual([{ from: 'normal', to: 'warning', atMs: clock.nowMs(), cause: expect.objectContaining({ rule: 'cell_voltage_high', input: 'bmu:3', quantity: 'max_cell_voltage_v', value: 4.15, limit: 4.1, level: 'warning' }), reason: expect.stringContaining('max_cell_voltage_v of bmu:3 = 4.15') }]);
    expect(step.actions).toEqual([{ kind: 'pcs_setpoint', setpoint: { mode: 'current', value: 2 }, reason: expect.stringContaining('warning action discharge') }]);
    // the same warning again asks for nothing new
    expect(bmu(3, { max_cell_voltage_v: 4.16 }).actions).toEqual([]);
  });

  it('a temperature warning runs pump and fan, clears with hysteresis, and normal switches them off again (D2)', () => {
    expect(bmu(2, { max_temperature_c: 31 }).actions).toEqual([expect.objectContaining({ kind: 'outputs', outputs: { pump: true, fan: true } })]);
    expect(bmu(2, { max_temperature_c: 29.5 }).transitions).toEqual([]); // within the 1 °C hysteresis
    expect(engine.state).toBe('warning');
    const back = bmu(2, { max_temperature_c: 29 });
    expect(engine.state).toBe('normal');
    expect(back.transitions).toEqual([expect.objectContaining({ from: 'warning', to: 'normal', cause: undefined })]);
    expect(back.actions).toEqual([expect.objectContaining({ kind: 'outputs', outputs: { pump: false, fan: false } })]);
  });

  it('a dangerous cell voltage: PCS off at once, relays open after the delay, then safe (latched)', () => {
    const step = bmu(5, { max_cell_voltage_v: 4.25 });
    expect(engine.state).toBe('dangerous');
    expect(step.transitions).toEqual([expect.objectContaining({ from: 'normal', to: 'dangerous', cause: expect.objectContaining({ rule: 'cell_voltage_high', input: 'bmu:5', value: 4.25, limit: 4.2, level: 'dangerous' }) })]);
    expect(step.actions.map((a) => a.kind)).toEqual(['pcs_off', 'outputs']);
    expect(step.actions[0]).toEqual(expect.objectContaining({ kind: 'pcs_off' }));
    expect(engine.nextDeadlineMs()).toBe(clock.nowMs() + 2000);
    clock.advance(1999);
    healthy();
    expect(engine.evaluate(clock.nowMs())).toEqual({ transitions: [], actions: [] });
    clock.advance(1);
    const safe = engine.evaluate(clock.nowMs());
    expect(safe.actions).toEqual([
      expect.objectContaining({ kind: 'outputs', outputs: { relay1: false, relay2: false, relay3: false } }),
      expect.objectContaining({ kind: 'pcs_off' }),
      expect.objectContaining({ kind: 'outputs', outputs: { pump: false, fan: false, relay1: false, relay2: false, relay3: false } }),
    ]);
    expect(safe.transitions).toEqual([expect.objectContaining({ from: 'dangerous', to: 'safe' })]);
    // latched: healthy values change nothing, no deadline pending
    clock.advance(60_000);
    healthy();
    expect(engine.state).toBe('safe');
    expect(engine.nextDeadlineMs()).toBeUndefined();
  });

  it('relayOpenDelayMs 0 goes to safe in the same step', () => {
    engine = new InterlockEngine(exampleConfig((r: any) => (r.actions.dangerous.relayOpenDelayMs = 0)), clock.nowMs()); // eslint-disable-line @typescript-eslint/no-explicit-any
    healthy();
    const step = bmu(1, { module_voltage_v: 49.5 });
    expect(step.transitions.map((t) => t.to)).toEqual(['dangerous', 'safe']);
    expect(step.actions[0]!.kind).toBe('pcs_off');
  });

  it('a dangerous temperature that persists still reaches safe (D1)', () => {
    bmu(4, { max_temperature_c: 55 });
    clock.advance(2000);
    bmu(4, { max_temperature_c: 56 });
    expect(engine.state).toBe('safe');
  });

  it('reset is refused while dangerous persists or relays are not open, then returns to normal', () => {
    bmu(5, { max_cell_voltage_v: 4.25 });
    expect(() => engine.reset(clock.nowMs())).toThrow(expect.objectContaining({ code: 'BB_RIG_RESET_REFUSED', message: expect.stringContaining('relays not yet open') }));
    clock.advance(2000);
    engine.evaluate(clock.nowMs());
    expect(engine.state).toBe('safe');
    bmu(5, { max_cell_voltage_v: 4.22 });
    try {
      engine.reset(clock.nowMs());
      expect.unreachable();
    } catch (err) {
      expect(errorCode(err)).toBe('BB_RIG_RESET_REFUSED');
      expect((err as Error).message).toMatch(/max_cell_voltage_v of bmu:5 = 4\.22 past dangerous 4\.2 \(rule cell_voltage_high\) persists/);
    }
    expect(engine.state).toBe('safe');
    bmu(5, { max_cell_voltage_v: 3.95 });
    const step = engine.reset(clock.nowMs());
    expect(engine.state).toBe('normal');
    expect(step.transitions).toEqual([expect.objectContaining({ from: 'safe', to: 'normal', reason: expect.stringContaining('rig.reset_latch') })]);
    expect(step.actions).toEqual([expect.objectContaining({ kind: 'outputs', outputs: { pump: false, fan: false } })]);
  });

  it('reset from safe goes on to warning when a warning condition remains', () => {
    bmu(5, { max_cell_voltage_v: 4.25 });
    clock.advance(2000);
    engine.evaluate(clock.nowMs());
    bmu(5, { max_cell_voltage_v: 4.15 });
    const step = engine.reset(clock.nowMs());
    expect(step.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['safe>normal', 'normal>warning']);
    expect(step.actions.map((a) => a.kind)).toEqual(['outputs', 'pcs_setpoint']);
  });

  it('the low cell voltage dangerous rule is named as itself (D4)', () => {
    const step = bmu(7, { min_cell_voltage_v: 2.65 });
    expect(step.transitions[0]!.cause).toEqual(expect.objectContaining({ rule: 'cell_voltage_low', level: 'dangerous', limit: 2.7 }));
  });

  it('compares the PCS voltage by magnitude', () => {
    const step = engine.update('pcs', { battery_voltage_v: -391 }, clock.nowMs());
    expect(step.transitions[0]!.cause).toEqual(expect.objectContaining({ rule: 'pcs_voltage_high', value: -391 }));
  });

  it('goes from warning straight to dangerous', () => {
    bmu(1, { module_voltage_v: 48.2 });
    expect(engine.state).toBe('warning');
    const step = bmu(1, { module_voltage_v: 49 });
    expect(step.transitions).toEqual([expect.objectContaining({ from: 'warning', to: 'dangerous' })]);
  });

  it('a silent PCS is dangerous after its stale age (D8), named as stale', () => {
    for (const dt of [2500, 2500]) {
      clock.advance(dt);
      for (const n of NODES) bmu(n, {});
      engine.update('arduino', HEALTHY_ARDUINO, clock.nowMs());
    }
    expect(engine.state).toBe('normal');
    expect(engine.nextDeadlineMs()).toBe(1_000_000 + 5001);
    clock.advance(1);
    const step = engine.evaluate(clock.nowMs());
    expect(step.transitions).toEqual([expect.objectContaining({ to: 'dangerous', cause: expect.objectContaining({ rule: 'stale', input: 'pcs', stale: true, limit: 5000 }) })]);
    expect(step.actions[0]!.kind).toBe('pcs_off');
  });

  it('BMUs that keep sending PDO1 but not their cell PDOs are stale for the cell rules (D5)', () => {
    clock.advance(2000);
    for (const n of NODES) engine.update(`bmu:${n}`, { module_voltage_v: 47, max_temperature_c: 25 }, clock.nowMs());
    engine.update('pcs', HEALTHY_PCS, clock.nowMs());
    clock.advance(1001);
    const step = engine.update('bmu:1', { module_voltage_v: 47, max_temperature_c: 25 }, clock.nowMs());
    expect(engine.state).toBe('dangerous');
    expect(step.transitions[0]!.cause).toEqual(expect.objectContaining({ rule: 'stale', quantity: expect.stringMatching(/_cell_voltage_v$/), value: expect.any(Number) }));
    const stale = engine.conditions(clock.nowMs());
    expect(stale).toHaveLength(16); // max and min cell voltage of 8 BMUs; PDO1 quantities and the PCS are fresh
    expect(stale.every((c) => c.stale && /_cell_voltage_v$/.test(c.quantity))).toBe(true);
  });

  it('a silent Arduino is dangerous after its age although no rule reads it', () => {
    for (const dt of [2000, 2000, 1001]) {
      clock.advance(dt);
      for (const n of NODES) bmu(n, {});
      engine.update('pcs', HEALTHY_PCS, clock.nowMs());
    }
    expect(engine.state).toBe('dangerous');
    expect(engine.conditions(clock.nowMs())).toEqual([expect.objectContaining({ rule: 'stale', input: 'arduino', quantity: '*', limit: 5000 })]);
    clock.advance(2000);
    engine.update('arduino', HEALTHY_ARDUINO, clock.nowMs());
    for (const n of NODES) bmu(n, {});
    engine.update('pcs', HEALTHY_PCS, clock.nowMs());
    expect(engine.state).toBe('safe');
    expect(() => engine.reset(clock.nowMs())).not.toThrow(); // the Arduino is back
  });

  it('an input never seen is stale from the engine start', () => {
    engine = new InterlockEngine(exampleConfig(), clock.nowMs());
    clock.advance(3001);
    expect(engine.evaluate(clock.nowMs()).transitions[0]!.cause).toEqual(expect.objectContaining({ rule: 'stale', value: undefined }));
  });

  it('reset is refused while an input is stale', () => {
    clock.advance(10_000);
    engine.evaluate(clock.nowMs());
    clock.advance(2000);
    engine.evaluate(clock.nowMs());
    expect(engine.state).toBe('safe');
    expect(() => engine.reset(clock.nowMs())).toThrow(/stale/);
    healthy();
    engine.reset(clock.nowMs());
    expect(engine.state).toBe('normal');
  });

  it('a latched rule keeps its warning until reset', () => {
    engine = new InterlockEngine(exampleConfig((r: any) => (r.rules[4].latch = true)), clock.nowMs()); // eslint-disable-line @typescript-eslint/no-explicit-any
    healthy();
    bmu(2, { max_temperature_c: 35 });
    bmu(2, { max_temperature_c: 20 });
    expect(engine.state).toBe('warning');
    expect(engine.conditions(clock.nowMs())).toEqual([expect.objectContaining({ rule: 'module_temperature_high', latched: true, value: 20 })]);
    engine.reset(clock.nowMs());
    expect(engine.state).toBe('normal');
  });

  it('ignores non-finite values and refuses inputs it was not configured for', () => {
    bmu(3, { max_cell_voltage_v: Number.NaN });
    expect(engine.state).toBe('normal');
    expect(() => engine.update('bmu:12', HEALTHY_BMU, clock.nowMs())).toThrow(expect.objectContaining({ code: 'BB_RIG_INPUT_UNKNOWN' }));
    expect(engine.knows('bmu:8')).toBe(true);
    expect(engine.knows('bmu:9')).toBe(false);
  });
});
