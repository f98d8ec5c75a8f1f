/**
 * A small {@link Metrics} for the CLI's integration tests (the alerter they start reports through
 * it): sums counter increments by name and labels. Gauges and histograms are accepted and ignored.
 */
import type { Counter, Labels, Metrics } from '@busbar/core';

/** Recording metrics: `count(name, labels)` is the sum of the matching increments. */
export class RecordingMetrics implements Metrics {
  private readonly events: { name: string; labels: Labels; value: number }[] = [];

  counter(spec: { name: string }): Counter {
    return { inc: (labels: Labels = {}, value = 1) => void this.events.push({ name: spec.name, labels, value }) };
  }

  gauge(): { set(): void; inc(): void } {
    return { set() {}, inc() {} };
  }

  histogram(): { observe(): void } {
    return { observe() {} };
  }

  /** Sum of the increments of `name` whose labels include every entry of `labels`. */
  count(name: string, labels: Labels = {}): number {
    return this.events.filter((e) => e.name === name && Object.entries(labels).every(([k, v]) => e.labels[k] === v)).reduce((sum, e) => sum + e.value, 0);
  }
}
