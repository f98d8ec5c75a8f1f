/** `--test` mode against the driver's simulator: one poll printed as JSON lines, no Kafka. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator } from '@busbar/driver-arbin-cti';
import { collectorConfigSchema } from '../src/index.js';
import { runTestMode } from '../src/collector.js';

let sim: ArbinSimulator;
beforeAll(async () => {
  sim = await startArbinSimulator({ channels: 3, username: 'lab', password: 's3cret-pw', tickMs: 50 });
});
afterAll(async () => {
  await sim?.close();
});

function devices(extra: Record<string, unknown> = {}) {
  return collectorConfigSchema.parse({ kafka: { brokers: ['127.0.0.1:1'] }, devices: [{ id: 'arbin-1', host: sim.host, port: sim.port, aux: true, requestTimeoutMs: 2000, connectTimeoutMs: 2000, ...extra }] }).devices!;
}

describe('collector-arbin > --test mode', () => {
  it('prints one Reading per channel of one poll, then a fault event for an unsafe channel', async () => {
    sim.injectFault(2);
    const lines: string[] = [];
    const failed = await runTestMode(devices(), { logger: noopLogger, metrics: noopMetrics, credentials: { username: 'lab', password: 's3cret-pw' } }, (l) => lines.push(l));
    expect(failed).toBe(0);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.slice(0, 3).map((r) => [r.channel, r.protocol, (r.states as Record<string, string>).status])).toEqual([[1, 'arbin-cti', 'Idle'], [2, 'arbin-cti', 'Unsafe'], [3, 'arbin-cti', 'Idle']]);
    expect((parsed[0]!.values as Record<string, number>).aux_temperature_1_c).toBeCloseTo(25, 0);
    expect(parsed[3]).toMatchObject({ event: { kind: 'FAULT', channel: 2, state: 'Unsafe', details: { transition: 'fault' } } });
    expect(parsed).toHaveLength(4);
  });

  it('prints the error code of a cycler it cannot log in to, never the password', async () => {
    const lines: string[] = [];
    const failed = await runTestMode(devices(), { logger: noopLogger, metrics: noopMetrics, credentials: { username: 'lab', password: 'wrong-pw' } }, (l) => lines.push(l));
    expect(failed).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ device_id: 'arbin-1', error: 'BB_ARBIN_LOGIN_FAILED' });
    expect(lines.join('\n')).not.toContain('wrong-pw');
  });

  it('refuses configured channels the cycler does not have', async () => {
    const lines: string[] = [];
    expect(await runTestMode(devices({ channels: [1, 9] }), { logger: noopLogger, metrics: noopMetrics, credentials: { username: 'lab', password: 's3cret-pw' } }, (l) => lines.push(l))).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: 'BB_ARBIN_INVALID_ARGUMENT', message: 'cycler arbin-1 has 3 channels; configured channels 9 do not exist' });
  });
});
