/**
 * Threshold rules, pure: no I/O, no timers; time comes from the readings.
 *
 * A rule watches one signal (a value name such as `temperature_c`) of the devices its selector
 * matches. Per series (rule × device × channel) it keeps a state:
 *
 *   OK ──(value beyond a bound for `forMs`)──▶ FIRING(severity) ──(value back past `clear`)──▶ OK
 *
 * - `direction: above` fires when value > bound (`below`: value < bound);
 * - `critical` outranks `warning`; a firing WARNING that crosses the critical bound escalates
 *   (a new FIRING transition with severity CRITICAL, same alert id);
 * - hysteresis: a firing alert resolves only when the value passes the `clear` bound
 *   (for `above`: value < clear), so a value hovering at the bound sends no mail storm;
 * - no repeat: while firing at a severity, further breaching readings produce nothing.
 */

/** Severity of a bound. */
export type Severity = 'WARNING' | 'CRITICAL';

/** A validated threshold rule. */
export interface ThresholdRule {
  /** Rule id (stable: it names alerts and metrics). */
  readonly id: string;
  /** Device id globs (`psu-*`); a reading matches when its device id matches one. */
  readonly devices: readonly string[];
  /** Value name, SI unit in it (`temperature_c`). */
  readonly signal: string;
  /** `above`: fires on high values; `below`: on low values. */
  readonly direction: 'above' | 'below';
  /** Warning bound in the signal's unit (optional). */
  readonly warning?: number | undefined;
  /** Critical bound in the signal's unit (optional; at least one bound is required). */
  readonly critical?: number | undefined;
  /** Bound the value must pass to resolve (hysteresis), in the signal's unit. */
  readonly clear: number;
  /** How long the breach must last before firing, ms (0 = at the first reading). */
  readonly forMs: number;
}

/** One observation of a series. */
export interface Sample {
  readonly deviceId: string;
  readonly channel: number | null;
  readonly value: number;
  /** Reading timestamp, ms since epoch. */
  readonly atMs: number;
}

/** A state change to notify and publish. */
export interface Transition {
  readonly rule: ThresholdRule;
  readonly deviceId: string;
  readonly channel: number | null;
  readonly state: 'FIRING' | 'RESOLVED';
  readonly severity: Severity;
  readonly value: number;
  /** The bound crossed: the severity's bound when firing, `clear` when resolving. */
  readonly threshold: number;
  readonly atMs: number;
  /** Series key: the same for a FIRING and its RESOLVED. */
  readonly seriesKey: string;
  /** 1, 2, ...: increments each time the series fires anew from OK. */
  readonly episode: number;
}

interface SeriesState {
  firing: Severity | undefined;
  pending: { severity: Severity; sinceMs: number } | undefined;
  episode: number;
}

const beyond = (rule: ThresholdRule, value: number, bound: number): boolean => (rule.direction === 'above' ? value > bound : value < bound);

/** The severity a value breaches, if any. */
export function breachedSeverity(rule: ThresholdRule, value: number): Severity | undefined {
  if (rule.critical !== undefined && beyond(rule, value, rule.critical)) return 'CRITICAL';
  if (rule.warning !== undefined && beyond(rule, value, rule.warning)) return 'WARNING';
  return undefined;
}

const rank = (s: Severity | undefined): number => (s === 'CRITICAL' ? 2 : s === 'WARNING' ? 1 : 0);

/** Evaluates samples of one rule, remembering each series' state. */
export class ThresholdEvaluator {
  private readonly series = new Map<string, SeriesState>();

  /** @param rule - a validated rule. */
  constructor(readonly rule: ThresholdRule) {}

  /**
   * Feeds one sample; returns the transition it causes, if any. Samples older than the series'
   * pending start are treated as arriving now (Kafka keeps per-device order).
   */
  observe(s: Sample): Transition | undefined {
    const rule = this.rule;
    const key = `${rule.id}|${s.deviceId}|${s.channel ?? ''}`;
    let st = this.series.get(key);
    if (!st) {
      st = { firing: undefined, pending: undefined, episode: 0 };
      this.series.set(key, st);
    }
    const make = (state: 'FIRING' | 'RESOLVED', severity: Severity, threshold: number): Transition => ({ rule, deviceId: s.deviceId, channel: s.channel, state, severity, value: s.value, threshold, atMs: s.atMs, seriesKey: key, episode: st.episode });
    const breach = breachedSeverity(rule, s.value);

    if (st.firing !== undefined) {
      const cleared = rule.direction === 'above' ? s.value < rule.clear : s.value > rule.clear;
      if (cleared) {
        const was = st.firing;
        st.firing = undefined;
        st.pending = undefined;
        return make('RESOLVED', was, rule.clear);
      }
      if (rank(breach) > rank(st.firing)) return this.arm(st, breach!, s, make);
      st.pending = undefined;
      return undefined;
    }
    if (breach === undefined) {
      st.pending = undefined;
      return undefined;
    }
    return this.arm(st, breach, s, make);
  }

  private arm(st: SeriesState, severity: Severity, s: Sample, make: (state: 'FIRING', sev: Severity, threshold: number) => Transition): Transition | undefined {
    if (!st.pending || rank(st.pending.severity) < rank(severity)) {
      // a higher severity starts its own for-duration; a lower one keeps the earlier start
      if (!st.pending) st.pending = { severity, sinceMs: s.atMs };
      else st.pending = { severity, sinceMs: st.pending.sinceMs };
    }
    if (s.atMs - st.pending.sinceMs < this.rule.forMs) return undefined;
    if (st.firing === undefined) st.episode++;
    st.firing = severity;
    st.pending = undefined;
    const bound = severity === 'CRITICAL' ? this.rule.critical! : this.rule.warning!;
    return make('FIRING', severity, bound);
  }

  /** Number of series tracked. */
  get seriesCount(): number {
    return this.series.size;
  }
}
