/**
 * Inhibition rules with Alertmanager's semantics, pure (Alertmanager documentation, "Configuration"
 * → `inhibit_rule`): an alert matching `targetMatchers` is muted while another alert that matches
 * `sourceMatchers` fires and both have the same values for the `equal` labels (a label missing in
 * both counts as equal, as in Alertmanager). An alert never inhibits itself.
 */
import type { LabelMatcher } from '@busbar/alert-control';
import { matchesAll } from '@busbar/alert-control';

/** One validated rule. */
export interface InhibitRule {
  readonly sourceMatchers: readonly LabelMatcher[];
  readonly targetMatchers: readonly LabelMatcher[];
  readonly equal: readonly string[];
}

/** A firing alert that may inhibit others: its id and labels. */
export interface InhibitSource {
  readonly alertId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The id of a firing alert that inhibits `target`, or `undefined`.
 *
 * @param target - the alert's id and labels.
 * @param sources - the alerts firing now (the target may be among them: it is skipped).
 * @param rules - the inhibition rules.
 */
export function inhibitedBy(target: InhibitSource, sources: Iterable<InhibitSource>, rules: readonly InhibitRule[]): string | undefined {
  const applicable = rules.filter((r) => matchesAll(r.targetMatchers, target.labels));
  if (applicable.length === 0) return undefined;
  for (const s of sources) {
    if (s.alertId === target.alertId) continue;
    for (const r of applicable) {
      if (matchesAll(r.sourceMatchers, s.labels) && r.equal.every((l) => (s.labels[l] ?? '') === (target.labels[l] ?? ''))) return s.alertId;
    }
  }
  return undefined;
}
