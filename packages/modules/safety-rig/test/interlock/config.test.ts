import { describe, expect, it } from 'vitest';
import { errorCode } from '@busbar/core';
import { envelopeViolation, parseInterlockConfig } from '../../src/interlock/config.js';
import { exampleConfig, exampleInput } from '../support/config.js';

function problem(patch: (raw: Record<string, unknown>) => void): string {
  try {
    exampleConfig(patch);
  } catch (err) {
    expect(errorCode(err)).toBe('BB_RIG_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected BB_RIG_CONFIG_INVALID');
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Safety rig > interlock > config', () => {
  it('ships the original thresholds (reference §6.1) in the example', () => {
    const c = exampleConfig();
    const levels = Object.fromEntries(c.rules.map((r) => [r.id, [r.source, r.quantity, r.comparator, r.warning, r.dangerous]]));
    expect(levels).toEqual({
      pcs_voltage_high: ['pcs', 'battery_voltage_v', 'above', 384, 390],
      pcs_voltage_low: ['pcs', 'battery_voltage_v', 'below', 268, 264],
      module_voltage_high: ['bmu', 'module_voltage_v', 'above', 48, 49],
      module_voltage_low: ['bmu', 'module_voltage_v', 'below', 34, 33],
      module_temperature_high: ['bmu', 'max_temperature_c', 'above', 30, 50],
      cell_voltage_high: ['bmu', 'max_cell_voltage_v', 'above', 4.1, 4.2],
      cell_voltage_low: ['bmu', 'min_cell_voltage_v', 'below', 2.8, 2.7],
    });
    expect(c.rules.find((r) => r.id === 'module_temperature_high')!.hysteresis).toBe(1); // cleared at 29 °C (CMA_Temp_security)
    expect(c.actions.dangerous.relayOpenDelayMs).toBe(2000);
    expect(c.envelope).toEqual({ currentA: { min: -100, max: 100 }, powerKw: { min: -30, max: 30 } });
  });

  it.each<[string, (raw: Raw) => void, RegExp]>([
    ['dangerous below warning for "above"', (r) => (r.rules[5].dangerous = 4.0), /interlock\.rules\[5\]\.dangerous: 4 must be at or above the warning level 4\.1/],
    ['dangerous above warning for "below"', (r) => (r.rules[6].dangerous = 2.9), /interlock\.rules\[6\]\.dangerous: 2\.9 must be at or below/],
    ['no level', (r) => { delete r.rules[0].warning; delete r.rules[0].dangerous; delete r.rules[0].onWarning; }, /interlock\.rules\[0\]: give a warning level, a dangerous level or both/],
    ['duplicate id', (r) => (r.rules[1].id = 'pcs_voltage_high'), /rules\[1\]\.id: duplicate rule id pcs_voltage_high/],
    ['unknown warning action', (r) => (r.rules[4].onWarning = 'sprinkler'), /rules\[4\]\.onWarning: no actions\.warning entry named sprinkler/],
    ['warning set-point outside the envelope', (r) => (r.actions.warning.charge.pcsSetpoint.value = -150), /actions\.warning\.charge\.pcsSetpoint: current set-point -150 A is outside the envelope \[-100, 100\] A/],
    ['relay switched on in dangerous', (r) => (r.actions.dangerous.outputs.relay1 = true), /actions\.dangerous\.outputs\.relay1: relay1 is in openRelays/],
    ['missing relay delay (never defaulted)', (r) => delete r.actions.dangerous.relayOpenDelayMs, /interlock\.actions\.dangerous\.relayOpenDelayMs/],
    ['missing stale age (never defaulted)', (r) => delete r.inputs.pcs.staleAfterMs, /interlock\.inputs\.pcs\.staleAfterMs/],
    ['BMU node outside 1..15', (r) => (r.inputs.bmu.nodes = [0]), /interlock\.inputs\.bmu\.nodes\[0\]/],
    ['envelope min above max', (r) => (r.envelope.powerKw = { min: 5, max: -5 }), /envelope\.powerKw: min 5 is above max -5/],
    ['unknown field', (r) => (r.rules[0].threshold = 1), /interlock\.rules\[0\]/],
  ])('refuses %s', (_name, patch, message) => {
    expect(problem(patch as (raw: Record<string, unknown>) => void)).toMatch(message);
  });

  it('refuses something that is not an object', () => {
    expect(() => parseInterlockConfig('rules: []')).toThrow(/BB_RIG_CONFIG_INVALID|interlock configuration invalid/);
  });

  it('checks set-points against the envelope per mode', () => {
    const { envelope } = exampleConfig();
    expect(envelopeViolation({ mode: 'current', value: 100 }, envelope)).toBeUndefined();
    expect(envelopeViolation({ mode: 'current', value: 100.5 }, envelope)).toMatch(/100\.5 A is outside/);
    expect(envelopeViolation({ mode: 'power', value: -30 }, envelope)).toBeUndefined();
    expect(envelopeViolation({ mode: 'power', value: -31 }, envelope)).toMatch(/-31 kW is outside the envelope \[-30, 30\] kW/);
  });

  it('keeps the example input untouched between tests', () => {
    expect((exampleInput().rules as unknown[]).length).toBe(7);
  });
});
