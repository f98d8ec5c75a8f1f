/**
 * The concrete metrics of a service: one prom-client `Registry` per process (no global registry,
 * STYLE.md example 12), default process metrics, and an adapter to the core {@link Metrics}
 * interface that drivers and packages use.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Counter as CoreCounter, Gauge as CoreGauge, Histogram as CoreHistogram, Labels, MetricSpec, Metrics } from '@busbar/core';
import { BusbarError } from '@busbar/core';

/** Default histogram buckets for latencies, in seconds (1 ms … 30 s). */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A service's metrics: the registry to expose and the core interface to pass to packages. */
export interface ServiceMetrics {
  /** The prom-client registry served on `/metrics`. */
  readonly registry: Registry;
  /** The core interface backed by `registry`. */
  readonly metrics: Metrics;
}

/**
 * Creates a registry with the default process metrics (the standard `process_*` and `nodejs_*`
 * names; every metric of the registry carries the label `service`) and the core adapter.
 *
 * @param service - service name, set as a default label on every metric.
 * @throws {BusbarError} `BB_METRICS_CONFLICT` when one name is declared with two kinds.
 */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const made = new Map<string, { kind: string; metric: CoreCounter | CoreGauge | CoreHistogram }>();

  function getOrCreate<T extends CoreCounter | CoreGauge | CoreHistogram>(kind: string, spec: MetricSpec, make: () => T): T {
    const existing = made.get(spec.name);
    if (existing) {
      if (existing.kind !== kind) throw new BusbarError('BB_METRICS_CONFLICT', `metric ${spec.name} already declared as a ${existing.kind}`);
      return existing.metric as T;
    }
    const metric = make();
    made.set(spec.name, { kind, metric });
    return metric;
  }

  const metrics: Metrics = {
    counter(spec) {
      return getOrCreate('counter', spec, () => {
        const c = new Counter({ name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [registry] });
        return { inc: (labels?: Labels, value = 1) => (labels ? c.inc(labels, value) : c.inc(value)) };
      });
    },
    gauge(spec) {
      return getOrCreate('gauge', spec, () => {
        const g = new Gauge({ name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [registry] });
        return {
          set: (labels: Labels | undefined, value: number) => (labels ? g.set(labels, value) : g.set(value)),
          inc: (labels?: Labels, value = 1) => (labels ? g.inc(labels, value) : g.inc(value)),
        };
      });
    },
    histogram(spec) {
      return getOrCreate('histogram', spec, () => {
        const h = new Histogram({ name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], buckets: [...(spec.buckets ?? LATENCY_BUCKETS_S)], registers: [registry] });
        return { observe: (labels: Labels | undefined, value: number) => (labels ? h.observe(labels, value) : h.observe(value)) };
      });
    },
  };
  return { registry, metrics };
}
