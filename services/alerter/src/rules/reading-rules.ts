/**
 * Threshold and rate-of-change rules as {@link RuleEngine}s on readings, pure: which readings a
 * rule sees (device globs, the signal among `values`/`exact_values`, the test-state scope `when`),
 * and the state records their transitions leave (firing record at FIRING/escalation, tombstone at
 * RESOLVED).
 */
import picomatch from 'picomatch';
import type { Reading } from '@busbar/avro';
import type { StoredSeries } from '../rule-state/record.js';
import { isFiring } from '../rule-state/record.js';
import type { EngineDraft, PartitionedTransition, RuleEngine, StateWrite } from './engine.js';
import type { RateOfChangeRule } from './rate-of-change.js';
import { RateOfChangeEvaluator } from './rate-of-change.js';
import type { ReadingScope } from './scope.js';
import { compileScope } from './scope.js';
import type { EvaluationDraft, Sample, ThresholdRule } from './threshold.js';
import { ThresholdEvaluator } from './threshold.js';
import type { FiringSeries, Transition } from './transition.js';
import { alertId } from './transition.js';

/** A rule's test-state scope (see `scope.ts`); absent: every reading. */
export interface Scoped {
  readonly when?: ReadingScope | undefined;
}

/** The value of `signal` in a reading (`values`, else `exact_values` as a number), if finite. */
export function signalValue(r: Pick<Reading, 'values' | 'exact_values'>, signal: string): number | undefined {
  const exact = r.exact_values[signal];
  const v = r.values[signal] ?? (exact !== undefined ? Number(exact) : undefined);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** The state write a transition of a threshold-like series leaves. */
export function writeOf(t: PartitionedTransition, timerMs?: number): StateWrite {
  if (t.state === 'RESOLVED') return { partition: t.partition, key: t.seriesKey, record: null };
  return { partition: t.partition, key: t.seriesKey, record: { rule: t.rule.id, deviceId: t.deviceId, channel: t.channel, severity: t.severity, episode: t.episode, episodeStartMs: t.episodeStartMs, alertId: alertId(t), updatedMs: t.atMs, ...(timerMs !== undefined ? { timerMs } : {}) } };
}

interface Evaluator {
  draft(): EvaluationDraft;
  clear(): void;
  restore(firing: Iterable<FiringSeries>): void;
}

function readingEngine(rule: (ThresholdRule | RateOfChangeRule) & Scoped, evaluator: Evaluator): RuleEngine {
  const matches = picomatch([...rule.devices]);
  const inScope = compileScope(rule.when);
  return {
    rule,
    input: 'readings',
    timed: false,
    draft(): EngineDraft {
      const d = evaluator.draft();
      const transitions: PartitionedTransition[] = [];
      const writes: StateWrite[] = [];
      const add = (t: Transition | undefined, partition: number): void => {
        if (!t) return;
        const pt = { ...t, partition };
        transitions.push(pt);
        writes.push(writeOf(pt));
      };
      return {
        reading(r, partition) {
          if (!matches(r.device_id)) return;
          const value = signalValue(r, rule.signal);
          if (value === undefined) return;
          const s: Sample = { deviceId: r.device_id, channel: r.channel, value, atMs: r.timestamp.getTime() };
          add(inScope(r) ? d.observe(s) : d.leave(s), partition);
        },
        event() {},
        tick() {},
        transitions,
        writes,
        commit: () => d.commit(),
      };
    },
    restore(_partition, records: readonly StoredSeries[]) {
      evaluator.restore(records.filter(isFiring));
    },
    clear: () => evaluator.clear(),
  };
}

/** A threshold rule as an engine (see `threshold.ts` for its semantics). */
export function thresholdEngine(rule: ThresholdRule & Scoped): RuleEngine {
  return readingEngine(rule, new ThresholdEvaluator(rule));
}

/** A rate-of-change rule as an engine (see `rate-of-change.ts`). */
export function rateOfChangeEngine(rule: RateOfChangeRule & Scoped): RuleEngine {
  return readingEngine(rule, new RateOfChangeEvaluator(rule));
}
