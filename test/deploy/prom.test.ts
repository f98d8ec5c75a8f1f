/**
 * deploy/local/prom.ts: the Prometheus text parser and the bucket-interpolated quantile the pipeline
 * bench reports. Expected values are worked out by hand from the PromQL `histogram_quantile`
 * definition (linear inside the bucket holding rank q × count; first bucket from 0; +Inf → highest
 * finite bound).
 */
import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramOf, histogramQuantile, parseMetrics, sumOf } from '../../deploy/local/prom.js';

const TEXT = [
  '# HELP busbar_historian_end_to_end_seconds From the reading timestamp to InfluxDB acknowledgement.',
  '# TYPE busbar_historian_end_to_end_seconds histogram',
  'busbar_historian_end_to_end_seconds_bucket{le="0.01",service="historian"} 5',
  'busbar_historian_end_to_end_seconds_bucket{le="0.025",service="historian"} 8',
  'busbar_historian_end_to_end_seconds_bucket{le="0.05",service="historian"} 10',
  'busbar_historian_end_to_end_seconds_bucket{le="+Inf",service="historian"} 10',
  'busbar_historian_end_to_end_seconds_sum{service="historian"} 0.2',
  'busbar_historian_end_to_end_seconds_count{service="historian"} 10',
  'busbar_kafka_records_out_total{topic="busbar.readings.v1",service="c"} 120',
  'busbar_kafka_records_out_total{topic="busbar.device-events.v1",service="c"} 3',
  'odd_label{text="a \\"quoted\\" value"} 1',
].join('\n');

describe('deploy/local/prom', () => {
  it('parses samples with labels (escaped quotes too) and sums them by label', () => {
    const samples = parseMetrics(TEXT);
    expect(samples).toHaveLength(9);
    expect(sumOf(samples, 'busbar_kafka_records_out_total')).toBe(123);
    expect(sumOf(samples, 'busbar_kafka_records_out_total', { topic: 'busbar.readings.v1' })).toBe(120);
    expect(samples.at(-1)!.labels.text).toBe('a \\"quoted\\" value');
  });

  it('interpolates quantiles inside buckets', () => {
    const h = histogramOf(parseMetrics(TEXT), 'busbar_historian_end_to_end_seconds');
    expect(h.count).toBe(10);
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.01, 12); // rank 5: top of the first bucket
    expect(histogramQuantile(h, 0.2)).toBeCloseTo(0.004, 12); // rank 2 of 5 in [0, 0.01]
    expect(histogramQuantile(h, 0.9)).toBeCloseTo(0.0375, 12); // rank 9: 1 of 2 in [0.025, 0.05]
    expect(histogramQuantile(h, 0.99)).toBeCloseTo(0.04875, 12); // rank 9.9: 1.9 of 2
  });

  it('answers the highest finite bound for a rank in +Inf, NaN when empty, and subtracts scrapes', () => {
    const after = { buckets: [{ le: 0.01, count: 3 }, { le: Infinity, count: 6 }], count: 6, sum: 1 };
    const before = { buckets: [{ le: 0.01, count: 2 }, { le: Infinity, count: 2 }], count: 2, sum: 0.01 };
    const d = histogramDelta(after, before);
    expect(d.buckets).toEqual([{ le: 0.01, count: 1 }, { le: Infinity, count: 4 }]);
    expect(d.count).toBe(4);
    expect(histogramQuantile(d, 0.9)).toBe(0.01);
    expect(histogramQuantile(histogramDelta(before, before), 0.5)).toBeNaN();
  });
});
