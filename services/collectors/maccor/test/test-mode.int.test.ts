import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { MaccorSimulator } from '@busbar/driver-maccor-macnet';
import { collectorConfigSchema } from '../src/config.js';
import { runTestMode } from '../src/collector.js';

let sim: MaccorSimulator;
beforeAll(async () => {
  sim = await startMaccorSimulator({ port: 0, channels: 4, seed: 2 });
});
afterAll(async () => {
  await sim.close();
});

function config(devices: unknown[]) {
  return collectorConfigSchema.parse({ kafka: { brokers: ['127.0.0.1:1'] }, devices });
}

describe('--test mode', () => {
  it('prints one reading per channel with every (4,7) field, and an error line for a tester that is down', async () => {
    const lines: string[] = [];
    const cfg = config([
      { id: 'mac-1', host: sim.host, jsonPort: sim.port, channels: 4, channelSettings: { '2': { aux: true } } },
      { id: 'mac-down', host: '127.0.0.1', jsonPort: 1, channels: 1, requestTimeoutMs: 500, connectTimeoutMs: 500 },
      { id: 'mac-too-many', host: sim.host, jsonPort: sim.port, channels: 6 },
    ]);
    const failed = await runTestMode(cfg.devices!, { logger: noopLogger, metrics: noopMetrics }, (l) => lines.push(l));
    expect(failed).toBe(2);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const readings = parsed.filter((p) => p.device_id === 'mac-1');
    expect(readings.map((r) => r.channel)).toEqual([1, 2, 3, 4]);
    for (const r of readings) {
      expect(r).toMatchObject({ protocol: 'maccor-macnet', quality: 'GOOD' });
      expect(Object.keys(r.values as object)).toEqual(expect.arrayContaining(['voltage_v', 'current_a', 'capacity_ah', 'energy_wh', 'test_time_s', 'step_time_s', 'cycle', 'step', 'record_number']));
      expect((r.values as Record<string, number>).voltage_v).toBeCloseTo(sim.channel(r.channel as number).voltage_v, 2);
    }
    expect(parsed.find((p) => p.device_id === 'mac-down')).toMatchObject({ error: expect.stringMatching(/^BB_MACCOR_/) });
    expect(parsed.find((p) => p.device_id === 'mac-too-many')).toMatchObject({ error: 'BB_MACCOR_CHANNELS_EXCEED_TESTER' });
  });
});
