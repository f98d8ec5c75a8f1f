import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../src/metrics.js';
import { startOpsServer } from '../src/http.js';

describe('runtime > ops server > degraded', () => {
  it('answers 200 with status degraded and the reasons while a working service is degraded', async () => {
    const { registry } = createServiceMetrics('test-svc');
    let degraded: string[] = ['Kafka does not acknowledge: 12 records buffered'];
    const ops = await startOpsServer({ registry, health: () => ({ ok: true, degraded, details: { devices: 1 } }) });
    try {
      const r = await fetch(`http://127.0.0.1:${ops.port}/healthz`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ status: 'degraded', degraded: ['Kafka does not acknowledge: 12 records buffered'], devices: 1 });
      degraded = [];
      expect(await (await fetch(`http://127.0.0.1:${ops.port}/healthz`)).json()).toEqual({ status: 'ok', devices: 1 });
    } finally {
      await ops.close();
    }
  });
});
