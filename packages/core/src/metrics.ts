/**
 * The metrics interface libraries depend on (STYLE.md example 12): a structural subset of
 * prom-client, so drivers and packages never import prom-client. Services pass the implementation
 * from `@busbar/runtime` (one prom-client `Registry` per process); pure code uses {@link noopMetrics}.
 *
 * Names follow `busbar_<component>_<what>_<unit>`; counters end in `_total`.
 */

/** Label values of one sample. */
export type Labels = Record<string, string | number>;

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `value` (default 1). */
  inc(labels?: Labels, value?: number): void;
}

/** A value that goes up and down (connected devices, consumer lag). */
export interface Gauge {
  /** Sets the current value. */
  set(labels: Labels | undefined, value: number): void;
  /** Adds `value` (default 1; negative to subtract). */
  inc(labels?: Labels, value?: number): void;
}

/** A distribution of observed values (latencies in seconds, batch sizes in records). */
export interface Histogram {
  /** Records one observation. */
  observe(labels: Labels | undefined, value: number): void;
}

/** Declaration of one metric. */
export interface MetricSpec {
  /** `busbar_<component>_<what>_<unit>`. */
  readonly name: string;
  /** One sentence for `# HELP`. */
  readonly help: string;
  /** Label names, a bounded set of values each (no ids of commands, no free text). */
  readonly labelNames?: readonly string[];
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** A factory of metrics; calling twice with the same name returns the same metric. */
export interface Metrics {
  /** A counter (name ends in `_total`). */
  counter(spec: MetricSpec): Counter;
  /** A gauge. */
  gauge(spec: MetricSpec): Gauge;
  /** A histogram. */
  histogram(spec: MetricSpec): Histogram;
}

const noopCounter: Counter = { inc() {} };
const noopGauge: Gauge = { set() {}, inc() {} };
const noopHistogram: Histogram = { observe() {} };

/** {@link Metrics} that record nothing: the default for libraries and pure tests. */
export const noopMetrics: Metrics = {
  counter: () => noopCounter,
  gauge: () => noopGauge,
  histogram: () => noopHistogram,
};
