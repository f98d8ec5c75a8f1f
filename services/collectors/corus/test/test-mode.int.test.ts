/** `--test`: one parameter read and the newest log records as JSON lines, without Kafka. */
import { describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ExactDecimal} from '@busbar/driver-itron-corus';
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import { runTestMode } from '../src/collector.js';
import { collectorConfigSchema, resolveCollectorConfig } from '../src/config.js';

describe('collector-corus > --test', () => {
  it('prints one poll and the four newest interval records; a device that cannot be reached prints its error code', async () => {
    const sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: 10 });
    try {
      const cfg = resolveCollectorConfig(collectorConfigSchema.parse({ kafka: { brokers: ['127.0.0.1:1'] }, devices: [
        { id: 'corus-1', connection: { kind: 'tcp', host: sim.host, port: sim.port }, map: EXAMPLE_CORUS_MAP },
        { id: 'corus-dead', connection: { kind: 'tcp', host: '127.0.0.1', port: 1, connectTimeoutMs: 500 }, map: EXAMPLE_CORUS_MAP },
      ] }), '.');
      const lines: string[] = [];
      const failed = await runTestMode(cfg, { logger: noopLogger, metrics: noopMetrics }, (l: string) => lines.push(l));
      expect(failed).toBe(1);
      const out = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(out).toHaveLength(6);
      expect(out[0]).toMatchObject({ device_id: 'corus-1', protocol: 'itron-corus', exact_values: { volume_converted_m3: (sim.parameter('volume_converted_m3') as ExactDecimal).toString() }, states: { clock: '2020-10-07T12:00:00.000Z' } });
      const newest = sim.logRecords('interval').slice(0, 4).map((r) => r.endDate).reverse();
      expect(out.slice(1, 5).map((r) => (r.states as Record<string, string>).device_time)).toEqual(newest);
      expect(out[5]).toMatchObject({ device_id: 'corus-dead', error: 'BB_CORUS_CONNECT_FAILED' });
    } finally {
      await sim.close();
    }
  });
});
