/**
 * Threshold rules, pure: no I/O, no timers; time comes from the readings.
 *
 * A rule watches one signal (a value name such as `temperature_c`) of the devices its selector
 * matches. Per series (rule × device × channel) it keeps a state:
 *
 *   OK ──(value beyond a bound for `forMs`)──▶ FIRING(severity) ──(value back past `clear`)──▶ OK
 *
 * - `direction: above` fires when value > bound (`below`: value < bound);
 * - each bound has its own for-duration: the series remembers since when the value has been
 *   beyond the warning bound and since when beyond the critical bound (a reading back inside a
 *   bound restarts that bound's clock). A severity is due once its bound has been breached for
 *   `forMs`; the highest due severity fires. So with `forMs` 10 s, a value above warning from
 *   t = 0 s that goes above critical at t = 9.9 s fires WARNING at t = 10 s and CRITICAL only at
 *   t = 19.9 s (if it stays above critical);
 * - `critical` outranks `warning`; a firing WARNING whose critical bound becomes due escalates
 *   (a new FIRING transition with severity CRITICAL, same episode, same alert id);
 * - hysteresis: a firing alert resolves only when the value passes the `clear` bound
 *   (for `above`: value < clear), so a value hovering at the bound sends no mail storm;
 * - no repeat: while firing at a severity, further breaching readings produce nothing.
 *
 * Transactions: {@link ThresholdEvaluator.draft} evaluates on a copy of the series it touches;
 * the caller applies it with {@link EvaluationDraft.commit} only once the resulting transitions
 * were published, so a failed publish leaves the state as it was and the redelivered readings
 * produce the same transitions again.
 *
 * State is in process memory; what must survive a restart or a partition move — which series are
 * firing, at which severity, in which episode — is handed back with {@link ThresholdEvaluator.restore}
 * (the alerter keeps it in a compacted Kafka topic, `rule-state/`). The for-duration clocks of a breach
 * that has not fired yet (or of an escalation not yet due) are not restored: they start again at the
 * first reading after the restart.
 */

import type { FiringSeries, Severity, Transition } from './transition.js';
import { seriesKeyOf } from './transition.js';

export type { FiringSeries, Transition } from './transition.js';

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
  /** How long each bound must be breached before its severity fires, ms (0 = at the first reading). */
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

interface SeriesState {
  firing: Severity | undefined;
  /** Since when the value has been beyond the warning bound without interruption, ms. */
  warningSinceMs: number | undefined;
  /** Since when the value has been beyond the critical bound without interruption, ms. */
  criticalSinceMs: number | undefined;
  episode: number;
  episodeStartMs: number;
}

const beyond = (rule: ThresholdRule, value: number, bound: number): boolean => (rule.direction === 'above' ? value > bound : value < bound);

const rank = (s: Severity | undefined): number => (s === 'CRITICAL' ? 2 : s === 'WARNING' ? 1 : 0);

/**
 * Observations made on a copy of the evaluator's state (see {@link ThresholdEvaluator.draft}).
 * Not applied until {@link EvaluationDraft.commit}; dropping the draft discards them.
 */
export interface EvaluationDraft {
  /** Feeds one sample to the draft; returns the transition it causes, if any. */
  observe(s: Sample): Transition | undefined;
  /**
   * The series left the rule's scope (a scoped rule's reading outside its test state): a firing
   * series resolves (value: the sample's, threshold `null`), a breach not yet fired forgets its
   * for-duration clocks. Returns the RESOLVED transition, if any.
   */
  leave(s: Sample): Transition | undefined;
  /** Applies every observation of this draft to the evaluator (once; later calls do nothing). */
  commit(): void;
}

/** Evaluates samples of one rule, remembering each series' state. */
export class ThresholdEvaluator {
  private readonly series = new Map<string, SeriesState>();

  /** The alert signal: the rule's `signal`, or the derived one given (rate of change). */
  private readonly signal: string;

  /**
   * @param rule - a validated rule.
   * @param signal - the name its alerts carry (default `rule.signal`; a rate-of-change rule gives its derived name).
   */
  constructor(readonly rule: ThresholdRule, signal?: string) {
    this.signal = signal ?? rule.signal;
  }

  /**
   * Feeds one sample and applies the state change at once; returns the transition it causes, if
   * any. A sample older than the start of a breach does not count as lasting (Kafka keeps
   * per-device order, so this only happens with a device clock going back).
   */
  observe(s: Sample): Transition | undefined {
    const d = this.draft();
    const t = d.observe(s);
    d.commit();
    return t;
  }

  /**
   * Starts a draft: its observations see the evaluator's state plus the draft's own earlier
   * observations, but change only a copy of the series they touch until `commit()`. Use one
   * draft per batch and commit after the batch's transitions were published. Two drafts that
   * touch the same series must not be open at once (the later commit would win); the alerter
   * handles one batch at a time and a series belongs to one partition.
   */
  draft(): EvaluationDraft {
    const copies = new Map<string, SeriesState>();
    let committed = false;
    const copyOf = (key: string): SeriesState => {
      let st = copies.get(key);
      if (!st) {
        const base = this.series.get(key);
        st = base ? { ...base } : { firing: undefined, warningSinceMs: undefined, criticalSinceMs: undefined, episode: 0, episodeStartMs: 0 };
        copies.set(key, st);
      }
      return st;
    };
    return {
      observe: (s) => {
        const key = seriesKeyOf(this.rule, s);
        return this.step(copyOf(key), key, s);
      },
      leave: (s) => {
        const key = seriesKeyOf(this.rule, s);
        if (!this.series.has(key) && !copies.has(key)) return undefined;
        const st = copyOf(key);
        st.warningSinceMs = undefined;
        st.criticalSinceMs = undefined;
        if (st.firing === undefined) return undefined;
        const was = st.firing;
        st.firing = undefined;
        return { rule: this.rule, deviceId: s.deviceId, channel: s.channel, state: 'RESOLVED', severity: was, signal: this.signal, value: s.value, threshold: null, description: `${this.signal} = ${s.value}, out of the rule's scope`, atMs: s.atMs, seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs };
      },
      commit: () => {
        if (committed) return;
        committed = true;
        for (const [key, st] of copies) this.series.set(key, st);
      },
    };
  }

  private step(st: SeriesState, key: string, s: Sample): Transition | undefined {
    const rule = this.rule;
    const make = (state: 'FIRING' | 'RESOLVED', severity: Severity, threshold: number): Transition => {
      const cmp = rule.direction === 'above' ? (state === 'FIRING' ? '>' : '<') : state === 'FIRING' ? '<' : '>';
      const description = state === 'FIRING' ? `${this.signal} = ${s.value} ${cmp} ${threshold}` : `${this.signal} = ${s.value} ${cmp} clear bound ${threshold}`;
      return { rule, deviceId: s.deviceId, channel: s.channel, state, severity, signal: this.signal, value: s.value, threshold, description, atMs: s.atMs, seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs };
    };

    if (st.firing !== undefined && (rule.direction === 'above' ? s.value < rule.clear : s.value > rule.clear)) {
      const was = st.firing;
      st.firing = undefined;
      st.warningSinceMs = undefined;
      st.criticalSinceMs = undefined;
      return make('RESOLVED', was, rule.clear);
    }
    // each bound keeps its own clock: started at the first reading beyond it, reset by one inside it
    st.warningSinceMs = rule.warning !== undefined && beyond(rule, s.value, rule.warning) ? (st.warningSinceMs ?? s.atMs) : undefined;
    st.criticalSinceMs = rule.critical !== undefined && beyond(rule, s.value, rule.critical) ? (st.criticalSinceMs ?? s.atMs) : undefined;
    const lasted = (sinceMs: number | undefined): boolean => sinceMs !== undefined && s.atMs - sinceMs >= rule.forMs;
    const due: Severity | undefined = lasted(st.criticalSinceMs) ? 'CRITICAL' : lasted(st.warningSinceMs) ? 'WARNING' : undefined;
    if (due === undefined || rank(due) <= rank(st.firing)) return undefined;
    if (st.firing === undefined) {
      st.episode++;
      st.episodeStartMs = s.atMs;
    }
    st.firing = due;
    return make('FIRING', due, due === 'CRITICAL' ? rule.critical! : rule.warning!);
  }

  /** Forgets every series (before the state of newly assigned partitions is restored). */
  clear(): void {
    this.series.clear();
  }

  /**
   * Marks the given series as firing (their for-duration clocks empty), replacing what was known
   * of them: the state of a process that starts, or that was handed partitions, from what was
   * durably recorded. A restored series' next FIRING (escalation) and its RESOLVED carry the
   * restored episode and start time, hence the same alert id as before.
   */
  restore(firing: Iterable<FiringSeries>): void {
    for (const f of firing) {
      this.series.set(seriesKeyOf(this.rule, f), { firing: f.severity, warningSinceMs: undefined, criticalSinceMs: undefined, episode: f.episode, episodeStartMs: f.episodeStartMs });
    }
  }

  /** Number of series tracked (committed state only). */
  get seriesCount(): number {
    return this.series.size;
  }
}
