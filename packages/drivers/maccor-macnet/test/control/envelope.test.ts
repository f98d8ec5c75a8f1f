import { describe, expect, it } from 'vitest';
import { DirectControlEnvelope } from '../../src/control/envelope.js';
import type { EnvelopeRefusalReason } from '../../src/control/envelope.js';
import type { DirectSetpoint } from '../../src/codec/direct.js';

const env = new DirectControlEnvelope({ 1: { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 3, max_power_w: 10 } });

describe('Control > DirectControlEnvelope', () => {
  const allowed: [string, DirectSetpoint][] = [
    ['CC-CV charge', { mode: 'charge', current_a: 1, voltage_v: 4.2 }],
    ['discharge to a floor', { mode: 'discharge', current_a: 2, voltage_v: 3 }],
    ['rest', { mode: 'rest' }],
    ['power-limited charge', { mode: 'charge', current_a: 2, voltage_v: 4.2, power_w: 8 }],
  ];
  for (const [name, sp] of allowed) it(`allows ${name}`, () => expect(env.check(1, sp)).toEqual({ ok: true }));

  const refused: [string, number, DirectSetpoint, EnvelopeRefusalReason][] = [
    ['an unconfigured channel', 2, { mode: 'rest' }, 'no_envelope'],
    ['voltage above max', 1, { mode: 'charge', current_a: 1, voltage_v: 4.3 }, 'voltage_above_max'],
    ['voltage below min', 1, { mode: 'discharge', current_a: 1, voltage_v: 2.5 }, 'voltage_below_min'],
    ['charge without a voltage ceiling', 1, { mode: 'charge', current_a: 1 }, 'voltage_limit_required'],
    ['charge current above max', 1, { mode: 'charge', current_a: 2.5, voltage_v: 4.1 }, 'charge_current_above_max'],
    ['discharge current above max', 1, { mode: 'discharge', current_a: 3.5, voltage_v: 3 }, 'discharge_current_above_max'],
    ['power above max', 1, { mode: 'charge', current_a: 1, voltage_v: 4, power_w: 11 }, 'power_above_max'],
    ['current × voltage above max power', 1, { mode: 'discharge', current_a: 3, voltage_v: 3 }, 'power_above_max'],
    ['a negative current', 1, { mode: 'charge', current_a: -1, voltage_v: 4 }, 'invalid_value'],
    ['NaN voltage', 1, { mode: 'charge', current_a: 1, voltage_v: Number.NaN }, 'invalid_value'],
    ['charge with no current/power/resistance', 1, { mode: 'charge', voltage_v: 4 }, 'current_required'],
    ['a power-only charge (current would be sent as disabled)', 1, { mode: 'charge', voltage_v: 4.1, power_w: 5 }, 'current_required'],
    ['a power-only discharge (current would be sent as disabled)', 1, { mode: 'discharge', voltage_v: 3, power_w: 5 }, 'current_required'],
    ['a resistance-only discharge (current would be sent as disabled)', 1, { mode: 'discharge', voltage_v: 3, resistance_ohm: 2 }, 'current_required'],
  ];
  for (const [name, channel, sp, reason] of refused) {
    it(`refuses ${name}: ${reason}`, () => {
      const r = env.check(channel, sp);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.refusal.reason).toBe(reason);
        expect(r.refusal.channel).toBe(channel);
        expect(r.refusal.message).toContain(`channel ${channel}`);
      }
      expect(() => env.assert(channel, sp)).toThrow(expect.objectContaining({ code: 'BB_MACCOR_ENVELOPE_REFUSED', context: expect.objectContaining({ reason }) }));
    });
  }
  it('names current_a when a charge or discharge set-point has no current', () => {
    const r = env.check(1, { mode: 'discharge', voltage_v: 3, power_w: 5 });
    expect(r).toMatchObject({ ok: false, refusal: { reason: 'current_required', field: 'current_a' } });
    if (!r.ok) expect(r.refusal.message).toContain('current_a');
  });
  it('refuses a bad envelope at construction', () => {
    expect(() => new DirectControlEnvelope({ 1: { max_voltage_v: 3, min_voltage_v: 4, max_charge_current_a: 1, max_discharge_current_a: 1, max_power_w: 1 } })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
    expect(() => new DirectControlEnvelope(new Map([[1, { max_voltage_v: 4, min_voltage_v: 3, max_charge_current_a: -1, max_discharge_current_a: 1, max_power_w: 1 }]]))).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
  });
});
