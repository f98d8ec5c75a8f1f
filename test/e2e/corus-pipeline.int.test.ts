/**
 * End to end on the real servers (Kafka and InfluxDB started by @busbar/testkit) for the Itron
 * Corus: simulator (a Corus per itron-corus reference README §13) → Corus collector → Kafka (Avro)
 * → historian → InfluxDB, with exact values; log backfill across a collector restart; parameter
 * writes as Kafka commands through the commander, routed to the collector that owns the device's
 * single session. The services run in this process; the servers are real.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput, Reading } from '@busbar/avro';
import { collectorConfigSchema, resolveCollectorConfig, startCorusCollector } from '@busbar/collector-corus';
import type { CollectorConfig } from '@busbar/collector-corus';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import type { CorusSimulator , ExactDecimal} from '@busbar/driver-itron-corus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import type { RunningCollector } from '@busbar/collector-kit';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const HISTORY = 120; // interval records on the device at start (30 h at 15 min)

let env: PipelineEnv;
let sim: CorusSimulator;
let collectorCfg: CollectorConfig;
let collector: RunningCollector | undefined;

const isLog = (r: Reading): boolean => r.device_id === 'corus-1' && r.states.log === 'interval';

function devices(port: number): unknown[] {
  return [{
    id: 'corus-1',
    connection: { kind: 'tcp', host: '127.0.0.1', port },
    map: EXAMPLE_CORUS_MAP,
    pollIntervalMs: 300,
    logChunkS: 3600, // 4 interval records per database request
    logs: { lookbackS: HISTORY * 900 + 3600, intervalMs: 300, rescanS: 0 },
  }];
}

/** Sends a command to corus-1. */
function sendCommand(cmd: Pick<CommandInput, 'action' | 'parameters'>): Promise<string> {
  return env.sendCommand({ target: { device_id: 'corus-1' }, ...cmd });
}

beforeAll(async () => {
  // Database frames are sent byte by byte (2 ms apart) so that a backfill takes long enough to be stopped in the middle.
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'corus', clientId: 'e2e-corus' }), startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: HISTORY, seed: 11, faults: [{ on: 'database-frame', kind: 'slow', times: 1_000_000 }] })]);
  const kafkaCfg = { brokers: env.kafka.brokers };
  collectorCfg = resolveCollectorConfig(collectorConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, instanceId: `e2e-${env.run}`, stateDir: mkdtempSync(join(tmpdir(), 'e2e-corus-state-')), devices: devices(sim.port) }), '.');
  const historianCfg = historianConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  const commanderRaw = commanderConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, corus: { devices: devices(sim.port) } });
  const commanderCfg = resolveCommanderConfig(commanderRaw, '.');
  env.services.push(await startHistorian(historianCfg, deps), await startCommander(commanderCfg, deps));
  collector = await startCorusCollector(collectorCfg, deps);
}, 240_000);

afterAll(async () => {
  await collector?.stop().catch(() => undefined);
  await env?.stop(() => sim?.close());
}, 120_000);

describe('e2e > corus pipeline', () => {
  it('publishes parameter polls with the simulator\'s exact values, and InfluxDB holds their float conversion', async () => {
    const [reading] = await env.readings.waitFor((r) => r.device_id === 'corus-1' && r.states.log === undefined, 1, 30_000);
    expect(reading!.protocol).toBe('itron-corus');
    expect(reading!.values).toEqual({});
    for (const name of ['volume_converted_m3', 'volume_unconverted_m3', 'pressure_bar', 'temperature_c', 'flow_converted_m3_per_h', 'flow_unconverted_m3_per_h']) {
      expect(reading!.exact_values[name], name).toBe((sim.parameter(name) as ExactDecimal).toString());
    }
    expect(reading!.exact_values.volume_converted_m3).toMatch(/^\d+\.\d+$/);
    expect(env.events.where((e) => e.device_id === 'corus-1' && e.kind === 'CONNECTED').length).toBeGreaterThanOrEqual(1);
    const at = reading!.timestamp.toISOString();
    let rows: Record<string, unknown>[] = [];
    await eventually(async () => {
      rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "meter_poll" and r.device == "corus-1" and r._time == time(v: "${at}"))`);
      return rows.some((r) => r._field === 'volume_converted_m3');
    }, 'the poll in InfluxDB', 30_000);
    const byField = Object.fromEntries(rows.map((f) => [f._field as string, f._value]));
    for (const [name, text] of Object.entries(reading!.exact_values)) expect(byField[name], name).toBe(Number(text));
  }, 60_000);

  it('backfills the interval log across a stop in the middle and a restart with the same state directory: every record exactly once, in order, with its own timestamp', async () => {
    await env.readings.waitFor(isLog, 12, 40_000);
    // a write during the backfill runs between two log windows (session write priority), not after the backfill
    const during = await sendCommand({ action: 'corus.write_parameters', parameters: { compressibility_formula: '5' } });
    const [w] = await env.results.waitFor((r) => r.command_id === during, 1, 30_000);
    expect(w).toMatchObject({ status: 'EXECUTED', details: { answer: 'ACK' } });
    expect((sim.parameter('compressibility_formula') as ExactDecimal).toString()).toBe('5');
    await collector!.stop(); // mid-backfill: the window in progress is published and its cursor written first
    collector = undefined;
    const beforeRestart = env.readings.where(isLog).length;
    expect(beforeRestart).toBeLessThan(HISTORY); // really stopped in the middle
    sim.advance(4 * 900); // the device logs on while the collector is down
    collector = await startCorusCollector(collectorCfg, deps);
    const total = sim.logRecords('interval').length;
    await env.readings.waitFor(isLog, total, 90_000);
    // …and between polls: new records after the catch-up are picked up once too
    sim.advance(2 * 900);
    const expected = sim.logRecords('interval').map((r) => r.endDate).reverse();
    await env.readings.waitFor(isLog, expected.length, 20_000);
    const got = env.readings.where(isLog);
    expect(got.map((r) => r.states.device_time)).toEqual(expected); // once each, oldest first
    expect(got.map((r) => r.timestamp.toISOString())).toEqual(expected.map((t) => `${t}.000Z`));
    // exact log values equal the simulator's decoded record
    const newest = sim.logRecords('interval')[0]!;
    const last = got[got.length - 1]!;
    expect(last.exact_values.consumption_interval_converted).toBe((newest.values.consumption_interval_converted as ExactDecimal).toString());
    expect(last.exact_values.pressure_interval_average).toBe((newest.values.pressure_interval_average as ExactDecimal).toString());
    // the historian stored the record at its own timestamp
    await eventually(async () => {
      const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: 2020-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "meter_log:interval" and r.device == "corus-1" and r._field == "consumption_interval_converted" and r._time == time(v: "${last.timestamp.toISOString()}"))`);
      return rows.length === 1 && rows[0]!._value === Number(last.exact_values.consumption_interval_converted);
    }, 'the newest log record in InfluxDB', 30_000);
  }, 150_000);

  it('writes parameters through a Kafka command (one result, the device\'s ACK) and rejects non-writable and out-of-range writes without sending them', async () => {
    const ok = await sendCommand({ action: 'corus.write_parameters', parameters: { battery_days: '1234', display_contrast: '9' } });
    const [done] = await env.results.waitFor((r) => r.command_id === ok, 1, 30_000);
    expect(done).toMatchObject({ status: 'EXECUTED', device_id: 'corus-1', action: 'corus.write_parameters', details: { answer: 'ACK', vendor_code: '0x06', written: 'battery_days,display_contrast' } });
    expect((sim.parameter('battery_days') as ExactDecimal).toString()).toBe('1234');
    expect((sim.parameter('display_contrast') as ExactDecimal).toString()).toBe('9');

    const writesBefore = sim.stats.writes;
    const notWritable = await sendCommand({ action: 'corus.write_parameters', parameters: { volume_converted_m3: '0' } });
    const outOfRange = await sendCommand({ action: 'corus.write_parameters', parameters: { pressure_base_bar: '2.5' } });
    const [r1] = await env.results.waitFor((r) => r.command_id === notWritable);
    const [r2] = await env.results.waitFor((r) => r.command_id === outOfRange);
    expect(r1).toMatchObject({ status: 'REJECTED', reason_code: 'BB_CORUS_NOT_WRITABLE' });
    expect(r1!.reason).toContain('volume_converted_m3 (id 149) is not writable');
    expect(r2).toMatchObject({ status: 'REJECTED', reason_code: 'BB_CORUS_VALUE_OUT_OF_RANGE' });
    expect(r2!.reason).toContain('pressure_base_bar = 2.5 bar is above the configured maximum 2 bar');

    const marker = await sendCommand({ action: 'corus.write_parameters', parameters: { compressibility_formula: '2' } });
    await env.results.waitFor((r) => r.command_id === marker, 1, 30_000);
    expect(sim.stats.writes).toBe(writesBefore + 1); // only the marker reached the device
    expect(env.results.where((r) => r.command_id === ok)).toHaveLength(1);
    expect(env.results.where((r) => r.command_id === notWritable)).toHaveLength(1);

    const clock = await sendCommand({ action: 'corus.set_clock', parameters: { time: '2020-10-09T06:00:00Z' } });
    const [c] = await env.results.waitFor((r) => r.command_id === clock, 1, 30_000);
    expect(c).toMatchObject({ status: 'EXECUTED', details: { answer: 'ACK' } });
    expect(sim.clockTime()).toBe('2020-10-09T06:00:00');
  }, 90_000);
});
