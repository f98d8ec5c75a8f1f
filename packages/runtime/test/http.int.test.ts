import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../src/metrics.js';
import { startOpsServer } from '../src/http.js';

describe('runtime > ops server and metrics', () => {
  it('serves /metrics from the service registry and /healthz from the probe', async () => {
    const { registry, metrics } = createServiceMetrics('test-svc');
    const counter = metrics.counter({ name: 'busbar_test_records_total', help: 'records', labelNames: ['topic'] });
    counter.inc({ topic: 't' }, 3);
    expect(metrics.counter({ name: 'busbar_test_records_total', help: 'records' })).toBe(counter);
    expect(() => metrics.gauge({ name: 'busbar_test_records_total', help: 'x' })).toThrow(expect.objectContaining({ code: 'BB_METRICS_CONFLICT' }));
    metrics.histogram({ name: 'busbar_test_latency_seconds', help: 'lat' }).observe(undefined, 0.02);
    let ok = true;
    const ops = await startOpsServer({ registry, health: () => ({ ok, details: { devices: 1 } }) });
    try {
      const text = await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text();
      expect(text).toContain('busbar_test_records_total{topic="t",service="test-svc"} 3');
      expect(text).toContain('busbar_test_latency_seconds_bucket{le="0.025",service="test-svc"} 1');
      expect(text).toContain('process_cpu_user_seconds_total');
      const healthy = await fetch(`http://127.0.0.1:${ops.port}/healthz`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toEqual({ status: 'ok', devices: 1 });
      ok = false;
      expect((await fetch(`http://127.0.0.1:${ops.port}/healthz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${ops.port}/nope`)).status).toBe(404);
    } finally {
      await ops.close();
    }
  });
});
