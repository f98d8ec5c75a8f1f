/**
 * Maccor end to end on the real servers (Kafka and InfluxDB started by @busbar/testkit): MacNet
 * simulator → Maccor collector → Kafka (Avro) → historian → InfluxDB; commands on Kafka → commander
 * (validates, routes) → the collector that owns the tester (executes, paces, watches) → simulator.
 * Assertions read the simulator's request log and channel state and the published records; none
 * times our code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandResult, DeviceEvent } from '@busbar/avro';
import { collectorConfigSchema, startMaccorCollector } from '@busbar/collector-maccor';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import type { MaccorSimulator } from '@busbar/driver-maccor-macnet';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const WATCHDOG_MS = 1000;
/** The simulated tester's own MacNetDirectModeWD: a channel our watchdog failed to rest in time would show Suspended. */
const TESTER_WATCHDOG_S = 4;
const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };

let env: PipelineEnv;
let sim: MaccorSimulator;

function devices(port: number): unknown[] {
  return [{
    id: 'mac-1', host: '127.0.0.1', jsonPort: port, channels: 8, pollIntervalMs: 500, requestCostMs: 5, requestTimeoutMs: 3000,
    directControl: { watchdogMs: WATCHDOG_MS, testerWatchdogS: TESTER_WATCHDOG_S },
    channelSettings: { '1-2': { safety: SAFETY, envelope: ENVELOPE }, '3-8': { safety: SAFETY } },
  }];
}

async function resultOf(id: string): Promise<CommandResult> {
  const [r] = await env.results.waitFor((x) => x.command_id === id, 1, 30_000);
  return r!;
}

const setpoints = (chan0: number) => sim.requests.filter((r) => r.fclass === 6 && r.fnum === 8 && r.chan === chan0);

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'maccor', clientId: 'e2e-maccor' }), startMaccorSimulator({ port: 0, channels: 8, seed: 11, directModeWatchdogS: TESTER_WATCHDOG_S, existingTestNames: ['taken-name'] })]);
  const kafkaCfg = { brokers: env.kafka.brokers };
  const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, instanceId: `e2e-${env.run}`, devices: devices(sim.port) });
  const collectorCfg = { ...collectorRaw, devices: collectorRaw.devices! };
  const historianCfg = historianConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  const commanderCfg = resolveCommanderConfig(commanderConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, maccor: { devices: devices(sim.port) } }), '.');
  env.services.push(await startMaccorCollector(collectorCfg, deps), await startHistorian(historianCfg, deps), await startCommander(commanderCfg, deps));
}, 240_000);

afterAll(() => env?.stop(() => sim?.close()), 120_000);

describe('e2e > maccor pipeline', () => {
  it('stores one reading per channel, with the (4,7) details, in InfluxDB', async () => {
    const [reading] = await env.readings.waitFor((r) => r.device_id === 'mac-1' && r.channel === 2 && r.quality === 'GOOD', 1, 30_000);
    expect(reading!.protocol).toBe('maccor-macnet');
    for (const k of ['voltage_v', 'current_a', 'test_time_s', 'capacity_ah', 'energy_wh', 'step_time_s', 'cycle', 'step', 'record_number', 'stat', 'rf1', 'rf2']) expect(reading!.values).toHaveProperty(k);
    expect(reading!.states).toMatchObject({ status: 'Available' });
    expect(reading!.values.voltage_v).toBeCloseTo(sim.channel(2).voltage_v, 1);
    const at = reading!.timestamp.toISOString();
    let rows: Record<string, unknown>[] = [];
    await eventually(async () => {
      rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "cycler_channel" and r.device == "mac-1" and r.channel == "0002" and r._field == "voltage_v" and r._time == time(v: "${at}"))`);
      return rows.length === 1;
    }, 'the reading in InfluxDB', 30_000);
    expect(rows[0]).toMatchObject({ _value: reading!.values.voltage_v, device: 'mac-1', channel: '0002', protocol: 'maccor-macnet' });
  });

  it('starts a procedure test through Kafka, reports the transition, and reports why a start is refused', async () => {
    const id = await env.sendCommand({ target: { device_id: 'mac-1', channel: 3 }, action: 'maccor.start_test', parameters: { procedure: 'CCCV_0.5C', test_name: `e2e-${env.run}`, crate_ah: 2.5 } });
    expect(await resultOf(id)).toMatchObject({ status: 'EXECUTED', channel: 3, details: { test_name: `e2e-${env.run}` } });
    // (6,10) before (6,2), on channel 3 (wire Chan 2)
    const order = sim.requests.filter((r) => r.chan === 2 && r.fclass === 6).map((r) => r.fnum);
    expect(order.indexOf(10)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(10)).toBeLessThan(order.indexOf(2));
    await env.events.waitFor((e) => e.device_id === 'mac-1' && e.channel === 3 && e.kind === 'STATE_CHANGE' && e.details.transition === 'started', 1, 30_000);

    const startsBefore = sim.requests.filter((r) => r.fclass === 6 && r.fnum === 2).length;
    const taken = await env.sendCommand({ target: { device_id: 'mac-1', channel: 4 }, action: 'maccor.start_test', parameters: { procedure: 'CCCV_0.5C', test_name: 'taken-name' } });
    expect(await resultOf(taken)).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_TEST_NAME_EXISTS' });
    const missing = await env.sendCommand({ target: { device_id: 'mac-1', channel: 4 }, action: 'maccor.start_test', parameters: { procedure: 'no_such_proc' } });
    expect(await resultOf(missing)).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_PROCEDURE_MISSING' });
    expect(sim.requests.filter((r) => r.fclass === 6 && r.fnum === 2)).toHaveLength(startsBefore);
  });

  it('drives a direct-control session from Kafka: the set-points reach the tester in order; one beyond the envelope never does; silence trips the watchdog', async () => {
    const start = await env.sendCommand({ target: { device_id: 'mac-1', channel: 1 }, action: 'maccor.start_direct_control', parameters: {} });
    expect(await resultOf(start)).toMatchObject({ status: 'EXECUTED', details: { watchdog_ms: String(WATCHDOG_MS) } });

    const steps = [0.5, 1.0, 1.5, 0.8, 0.2];
    const ids: string[] = [];
    for (const c of steps) {
      const id = await env.sendCommand({ target: { device_id: 'mac-1', channel: 1 }, action: 'maccor.set_direct_output', parameters: { mode: 'charge', current_a: c, voltage_v: 4.1 } });
      ids.push(id);
      expect(await resultOf(id)).toMatchObject({ status: 'EXECUTED', details: { current_a: String(c) } });
      // applied on the tester when the result is published
      expect(sim.channel(1).direct).toMatchObject({ mode: 'C', current_a: c });
    }
    expect(setpoints(0).map((r) => r.params['Current'])).toEqual(steps);

    const beyond = await env.sendCommand({ target: { device_id: 'mac-1', channel: 1 }, action: 'maccor.set_direct_output', parameters: { mode: 'charge', current_a: 2.5, voltage_v: 4.1 } });
    const refused = await resultOf(beyond);
    expect(refused).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MACCOR_ENVELOPE_REFUSED' });
    expect(refused.reason).toContain('above the envelope maximum 2 A');

    // the controller goes silent: the watchdog rests the channel and says why
    const [trip] = await env.events.waitFor((e) => e.device_id === 'mac-1' && e.channel === 1 && e.error_code === 'BB_MACCOR_WATCHDOG_EXPIRED', 1, 30_000);
    expect(trip).toMatchObject({ kind: 'FAULT', previous_state: 'direct_control', state: 'rest' });
    const [why] = await env.results.waitFor((r) => r.action === 'maccor.watchdog_rest' && r.channel === 1, 1, 30_000);
    expect(why).toMatchObject({ status: 'EXECUTED', reason_code: 'BB_MACCOR_WATCHDOG_EXPIRED', details: { last_command_id: ids.at(-1), session_command_id: start, rest_applied: 'true' } });
    expect(Number(why!.details.silence_ms)).toBeGreaterThanOrEqual(WATCHDOG_MS);

    // on the tester: every (6,8) sent is a commanded one or the final rest; 2.5 A never went out
    const sent = setpoints(0);
    expect(sent.map((r) => r.params['Current'])).toEqual([...steps, 0]);
    expect(sent.at(-1)!.params['ChMode']).toBe('R');
    // resting in direct mode (Active, 0 A), not suspended by the tester's own 4 s watchdog: rested within the deadline
    expect(sim.channel(1)).toMatchObject({ stat: 2, current_a: 0 });
    expect(sim.channel(1).direct!.mode).toBe('R');
  }, 60_000);

  it('after the tester goes away: DISCONNECTED, the collector runtime reconnects with a new session once it is back, readings resume', async () => {
    const port = sim.port;
    const eventsBefore = env.events.records.length;
    const isNew = (e: DeviceEvent): boolean => env.events.records.findIndex((r) => r.value === e) >= eventsBefore;
    await sim.close();
    const [down] = await env.events.waitFor((e) => e.device_id === 'mac-1' && e.kind === 'DISCONNECTED' && isNew(e), 1, 30_000);
    expect(down!.error_code).toMatch(/^BB_MACCOR_/);
    sim = await startMaccorSimulator({ port, channels: 8, seed: 11, directModeWatchdogS: TESTER_WATCHDOG_S });
    const restartedAt = Date.now();
    const [up] = await env.events.waitFor((e) => e.device_id === 'mac-1' && e.kind === 'CONNECTED' && Number(e.details.outage_ms) > 0, 1, 40_000);
    expect(up!.reason).toMatch(/reconnected and signed on again after an outage of/);
    expect(up!.details).toMatchObject({ test_channels: '8' });
    await env.readings.waitFor((r) => r.device_id === 'mac-1' && r.channel === 8 && r.timestamp.getTime() >= restartedAt, 1, 20_000);
  }, 90_000);
});
