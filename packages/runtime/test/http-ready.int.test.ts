import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../src/metrics.js';
import { startOpsServer } from '../src/http.js';
import type { Readiness } from '../src/http.js';

describe('runtime > ops server > /livez and /readyz', () => {
  it('answers /livez 200 whatever the dependencies, /readyz 503 with a reason per failing check, 200 once all pass; /healthz unchanged', async () => {
    const { registry } = createServiceMetrics('test-svc');
    let checks: Readiness = {
      kafka_consumer: { ok: true },
      influxdb: { ok: false, reason: 'InfluxDB answers 401 Unauthorized to the token', code: 'BB_HISTORIAN_INFLUX_UNAUTHORIZED' },
    };
    const ops = await startOpsServer({ registry, health: () => ({ ok: true, details: { influx: 'failing' } }), ready: () => checks });
    try {
      const live = await fetch(`http://127.0.0.1:${ops.port}/livez`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'alive' });
      const notReady = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not_ready',
        reasons: ['influxdb: InfluxDB answers 401 Unauthorized to the token'],
        checks: { kafka_consumer: { ok: true }, influxdb: { ok: false, reason: 'InfluxDB answers 401 Unauthorized to the token', code: 'BB_HISTORIAN_INFLUX_UNAUTHORIZED' } },
      });
      expect((await fetch(`http://127.0.0.1:${ops.port}/healthz`)).status).toBe(200); // compatibility: /healthz as before
      checks = { kafka_consumer: { ok: true }, influxdb: { ok: true } };
      const ready = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks });
    } finally {
      await ops.close();
    }
  });

  it('without declared checks, is ready when /healthz is ok; a throwing probe is not ready, with the error', async () => {
    const { registry } = createServiceMetrics('test-svc');
    let ok = true;
    const ops = await startOpsServer({ registry, health: () => ({ ok }) });
    const broken = await startOpsServer({ registry, health: () => ({ ok: true }), ready: () => {
      throw new Error('probe bug');
    } });
    try {
      expect(await (await fetch(`http://127.0.0.1:${ops.port}/readyz`)).json()).toEqual({ status: 'ready', checks: { health: { ok: true } } });
      ok = false;
      const r = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'not_ready', reasons: ['health: not ready'], checks: { health: { ok: false } } });
      expect((await fetch(`http://127.0.0.1:${ops.port}/livez`)).status).toBe(200);
      const b = await fetch(`http://127.0.0.1:${broken.port}/readyz`);
      expect(b.status).toBe(503);
      expect(((await b.json()) as { reasons: string[] }).reasons).toEqual(['probe: readiness probe failed: Error: probe bug']);
    } finally {
      await Promise.all([ops.close(), broken.close()]);
    }
  });
});
