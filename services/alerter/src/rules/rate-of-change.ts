/**
 * Rate of change of a signal, pure: no I/O, no timers; time comes from the readings.
 *
 * The rate at a reading (value v at time t) is `(v − v₀) / (t − t₀)` in the signal's unit per
 * `per` (s, min or h), where (t₀, v₀) is the latest earlier reading of the same series at least
 * `windowMs` before t — the change over (at least) the window, so a single noisy reading does not
 * make a rate. Until a series has a reading that old there is no rate (nothing is evaluated); a gap
 * longer than twice the window also gives none (the rate would average over the gap).
 *
 * The rate is then a derived signal (`<signal>_per_<per>`, e.g. `temperature_c_per_min`) evaluated
 * by a {@link ThresholdEvaluator}: the same bounds, for-duration, hysteresis (`clear`), escalation
 * and episodes as a threshold rule. `direction: above` fires on a rise faster than the bound,
 * `below` on a fall (bounds negative: `critical: -0.5` = falling faster than 0.5 per unit of time).
 *
 * History: per series, the readings of the last two windows (in memory). A reading not newer than
 * the last one kept (a redelivered batch) is evaluated against the history without being added, so
 * a replay yields the same rate. The history is not kept across restarts: after one, a rate needs a
 * window of readings again (as a threshold's for-duration clock restarts).
 */
import type { FiringSeries, Transition } from './transition.js';
import { seriesKeyOf } from './transition.js';
import type { EvaluationDraft, Sample, ThresholdRule } from './threshold.js';
import { ThresholdEvaluator } from './threshold.js';

/** Time unit of a rate. */
export type RateUnit = 's' | 'min' | 'h';

const UNIT_MS: Record<RateUnit, number> = { s: 1000, min: 60_000, h: 3_600_000 };

/** A validated rate-of-change rule: a threshold rule on the rate of `signal`. */
export interface RateOfChangeRule extends ThresholdRule {
  /** Time unit of the bounds: `1` with `per: 'min'` = 1 signal unit per minute. */
  readonly per: RateUnit;
  /** Span the rate is measured over, ms (> 0). */
  readonly windowMs: number;
}

/** The derived signal name of a rule (`temperature_c_per_min`). */
export const rateSignalOf = (rule: Pick<RateOfChangeRule, 'signal' | 'per'>): string => `${rule.signal}_per_${rule.per}`;

interface Point {
  readonly t: number;
  readonly v: number;
}

/** Evaluates the rate of one rule's signal per series, with threshold semantics on the rate. */
export class RateOfChangeEvaluator {
  private readonly inner: ThresholdEvaluator;
  private readonly history = new Map<string, Point[]>();

  /** @param rule - a validated rule. */
  constructor(readonly rule: RateOfChangeRule) {
    this.inner = new ThresholdEvaluator(rule, rateSignalOf(rule));
  }

  /**
   * The rate at sample `s` (signal unit per `rule.per`), adding `s` to the series' history when it
   * is newer than the last point kept; `undefined` while the history does not reach a window back.
   */
  private rate(key: string, s: Sample): number | undefined {
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = []));
    const last = h[h.length - 1];
    if (last === undefined || s.atMs > last.t) {
      h.push({ t: s.atMs, v: s.value });
      // keep two windows: enough for the anchor of this reading and of a replayed batch
      while (h.length > 1 && h[1]!.t <= s.atMs - 2 * this.rule.windowMs) h.shift();
    }
    let anchor: Point | undefined;
    for (const p of h) {
      if (p.t > s.atMs - this.rule.windowMs) break;
      anchor = p;
    }
    if (anchor === undefined || s.atMs - anchor.t > 2 * this.rule.windowMs) return undefined;
    return ((s.value - anchor.v) / (s.atMs - anchor.t)) * UNIT_MS[this.rule.per];
  }

  /**
   * Starts a draft (see {@link ThresholdEvaluator.draft}): `observe` feeds a reading of the signal,
   * `leave` says the series left the rule's scope (a firing series resolves; its history is dropped
   * at commit). The history of new readings is kept at once (see the module doc).
   */
  draft(): EvaluationDraft {
    const inner = this.inner.draft();
    const left = new Set<string>();
    const derived = (s: Sample, rate: number): Sample => ({ ...s, value: Math.round(rate * 1e6) / 1e6 });
    return {
      observe: (s): Transition | undefined => {
        const key = seriesKeyOf(this.rule, s);
        left.delete(key);
        const rate = this.rate(key, s);
        return rate === undefined ? undefined : describe(inner.observe(derived(s, rate)), this.rule);
      },
      leave: (s): Transition | undefined => {
        const key = seriesKeyOf(this.rule, s);
        left.add(key);
        return inner.leave(s);
      },
      commit: (): void => {
        inner.commit();
        for (const key of left) this.history.delete(key);
      },
    };
  }

  /** Forgets every series and its history. */
  clear(): void {
    this.inner.clear();
    this.history.clear();
  }

  /** Marks series as firing (see {@link ThresholdEvaluator.restore}); their history starts empty. */
  restore(firing: Iterable<FiringSeries>): void {
    this.inner.restore(firing);
  }
}

function describe(t: Transition | undefined, rule: RateOfChangeRule): Transition | undefined {
  if (t === undefined) return undefined;
  const over = `over ${rule.windowMs / 1000} s`;
  return { ...t, description: `${t.description ?? ''} (${over})` };
}
