/**
 * A pure direct-control envelope: per-channel voltage, current and power limits checked before a
 * set-point leaves the commander. A refused set-point is never sent. The tester's own (6,10) safety
 * limits (Maccor MacNet reference §6.6) remain the last line; this envelope is the first, and it
 * also refuses charge without a voltage ceiling and discharge without a voltage floor (pure CC with
 * the CV limit disabled, as pymacnet's default 4900 V does, reference §6.10), and charge or discharge
 * without `current_a` (an omitted current is sent as the "disabled" value 65536, so a power-only
 * set-point would have no current limit at all). No I/O.
 */
import { MaccorError } from '../errors.js';
import type { DirectSetpoint } from '../codec/direct.js';

/** Limits of one channel, SI units; all required (a safety limit is never defaulted). */
export interface ChannelEnvelope {
  readonly max_voltage_v: number;
  readonly min_voltage_v: number;
  /** Largest charge current magnitude, A. */
  readonly max_charge_current_a: number;
  /** Largest discharge current magnitude, A. */
  readonly max_discharge_current_a: number;
  /** Largest power magnitude, W. */
  readonly max_power_w: number;
}

/** Why a set-point was refused. */
export type EnvelopeRefusalReason =
  | 'no_envelope'
  | 'voltage_above_max'
  | 'voltage_below_min'
  | 'voltage_limit_required'
  | 'charge_current_above_max'
  | 'discharge_current_above_max'
  | 'power_above_max'
  | 'current_required'
  | 'invalid_value';

/** A typed refusal. */
export interface EnvelopeRefusal {
  /** 1-based channel. */
  readonly channel: number;
  readonly reason: EnvelopeRefusalReason;
  /** The set-point field at fault. */
  readonly field: string;
  readonly value: number | undefined;
  readonly limit: number | undefined;
  /** One sentence for the command result. */
  readonly message: string;
}

/** Result of {@link DirectControlEnvelope.check}. */
export type EnvelopeCheck = { readonly ok: true } | { readonly ok: false; readonly refusal: EnvelopeRefusal };

/** Per-channel limits and the check (see module doc). */
export class DirectControlEnvelope {
  private readonly envelopes = new Map<number, ChannelEnvelope>();

  /**
   * @param envelopes - 1-based channel → limits.
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when a limit is missing, not finite, negative, or min ≥ max voltage.
   */
  constructor(envelopes: ReadonlyMap<number, ChannelEnvelope> | Readonly<Record<number, ChannelEnvelope>>) {
    const entries = envelopes instanceof Map ? [...envelopes.entries()] : Object.entries(envelopes).map(([k, v]) => [Number(k), v] as const);
    for (const [channel, env] of entries) {
      for (const k of ['max_voltage_v', 'min_voltage_v', 'max_charge_current_a', 'max_discharge_current_a', 'max_power_w'] as const) {
        const v = env[k];
        if (typeof v !== 'number' || !Number.isFinite(v) || (k !== 'min_voltage_v' && k !== 'max_voltage_v' && v < 0)) {
          throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `envelope of channel ${channel}: ${k} must be a finite number${k.includes('current') || k.includes('power') ? ' ≥ 0' : ''}, got ${String(v)}`, { context: { channel, field: k } });
        }
      }
      if (env.min_voltage_v >= env.max_voltage_v) {
        throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `envelope of channel ${channel}: min_voltage_v ${env.min_voltage_v} must be below max_voltage_v ${env.max_voltage_v}`, { context: { channel, field: 'min_voltage_v' } });
      }
      this.envelopes.set(channel, { ...env });
    }
  }

  /** The limits of `channel`, if configured. */
  envelopeOf(channel: number): ChannelEnvelope | undefined {
    return this.envelopes.get(channel);
  }

  /** Checks `sp` for `channel` (1-based). Rest is always allowed on a configured channel. */
  check(channel: number, sp: DirectSetpoint): EnvelopeCheck {
    const refuse = (reason: EnvelopeRefusalReason, field: string, value: number | undefined, limit: number | undefined, message: string): EnvelopeCheck => ({
      ok: false,
      refusal: { channel, reason, field, value, limit, message: `channel ${channel}: ${message}` },
    });
    const env = this.envelopes.get(channel);
    if (!env) return refuse('no_envelope', 'channel', undefined, undefined, 'no direct-control envelope is configured for this channel');
    for (const k of ['current_a', 'voltage_v', 'power_w', 'resistance_ohm'] as const) {
      const v = sp[k];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) return refuse('invalid_value', k, v, undefined, `${k} must be a finite magnitude ≥ 0`);
    }
    if (sp.mode === 'rest') return { ok: true };
    if (sp.current_a === undefined) {
      // an omitted current is encoded as 65536 A, i.e. the current limit disabled (codec/direct.ts,
      // reference §6.10): a power- or resistance-only set-point would run without any current limit
      return refuse('current_required', 'current_a', undefined, undefined, `${sp.mode} needs a current set-point (current_a); without it the tester's current limit would be disabled`);
    }
    if (sp.voltage_v === undefined) {
      return refuse('voltage_limit_required', 'voltage_v', undefined, undefined, sp.mode === 'charge' ? 'charge needs a voltage ceiling (voltage_v)' : 'discharge needs a voltage floor (voltage_v)');
    }
    if (sp.voltage_v > env.max_voltage_v) return refuse('voltage_above_max', 'voltage_v', sp.voltage_v, env.max_voltage_v, `voltage_v ${sp.voltage_v} V is above the envelope maximum ${env.max_voltage_v} V`);
    if (sp.voltage_v < env.min_voltage_v) return refuse('voltage_below_min', 'voltage_v', sp.voltage_v, env.min_voltage_v, `voltage_v ${sp.voltage_v} V is below the envelope minimum ${env.min_voltage_v} V`);
    if (sp.current_a !== undefined) {
      if (sp.mode === 'charge' && sp.current_a > env.max_charge_current_a) return refuse('charge_current_above_max', 'current_a', sp.current_a, env.max_charge_current_a, `charge current ${sp.current_a} A is above the envelope maximum ${env.max_charge_current_a} A`);
      if (sp.mode === 'discharge' && sp.current_a > env.max_discharge_current_a) return refuse('discharge_current_above_max', 'current_a', sp.current_a, env.max_discharge_current_a, `discharge current ${sp.current_a} A is above the envelope maximum ${env.max_discharge_current_a} A`);
    }
    if (sp.power_w !== undefined && sp.power_w > env.max_power_w) return refuse('power_above_max', 'power_w', sp.power_w, env.max_power_w, `power ${sp.power_w} W is above the envelope maximum ${env.max_power_w} W`);
    // worst-case cell voltage: the CV ceiling when charging; the envelope maximum when discharging (the floor bounds nothing above)
    const worstVoltage = sp.mode === 'charge' ? sp.voltage_v : env.max_voltage_v;
    const worstPower = (sp.current_a ?? 0) * Math.max(worstVoltage, 0);
    if (sp.current_a !== undefined && sp.power_w === undefined && worstPower > env.max_power_w) {
      return refuse('power_above_max', 'current_a', worstPower, env.max_power_w, `current ${sp.current_a} A at up to ${worstVoltage} V may reach ${worstPower.toFixed(3)} W, above the envelope maximum ${env.max_power_w} W; add a power_w set-point`);
    }
    return { ok: true };
  }

  /**
   * Like {@link check} but throws.
   * @throws MaccorError BB_MACCOR_ENVELOPE_REFUSED with the refusal in the context.
   */
  assert(channel: number, sp: DirectSetpoint): void {
    const r = this.check(channel, sp);
    if (!r.ok) {
      const { refusal } = r;
      throw new MaccorError('BB_MACCOR_ENVELOPE_REFUSED', refusal.message, { context: { channel, reason: refusal.reason, field: refusal.field, value: refusal.value, limit: refusal.limit } });
    }
  }
}
