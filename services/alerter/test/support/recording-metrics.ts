/**
 * A small {@link Metrics} for tests: records every counter increment (name, labels, value) in
 * order, and sums them by name and labels. Gauges and histograms are accepted and ignored.
 */
import type { Counter, Labels, Metrics } from '@busbar/core';

/** One counter increment, in the order it happened. */
export interface CounterEvent {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

/** Recording metrics: `events` in order, `count(name, labels)` the sum of matching increments. */
export class RecordingMetrics implements Metrics {
  readonly events: CounterEvent[] = [];
  /** Called after each increment (tests use it to order increments against other events). */
  onIncrement: ((e: CounterEvent) => void) | undefined;

  counter(spec: { name: string }): Counter {
    return {
      inc: (labels: Labels = {}, value = 1) => {
        const e = { name: spec.name, labels, value };
        this.events.push(e);
        this.onIncrement?.(e);
      },
    };
  }

  gauge(): { set(): void; inc(): void } {
    return { set() {}, inc() {} };
  }

  histogram(): { observe(): void } {
    return { observe() {} };
  }

  /** Sum of the increments of `name` whose labels include every entry of `labels`. */
  count(name: string, labels: Labels = {}): number {
    return this.events
      .filter((e) => e.name === name && Object.entries(labels).every(([k, v]) => e.labels[k] === v))
      .reduce((sum, e) => sum + e.value, 0);
  }
}
