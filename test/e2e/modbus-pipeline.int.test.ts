/**
 * End to end on the real servers (Kafka, InfluxDB and SMTP started by @busbar/testkit):
 * power-supply simulator → Modbus collector → Kafka (Avro) → historian → InfluxDB; alerter → SMTP;
 * commander → simulator (direct, and routed through the collector for a single-session device).
 * The services run in this process; the servers are real.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import type { CollectorConfig } from '@busbar/collector-modbus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { alerterConfigSchema, startAlerter } from '@busbar/alerter';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import type { RunningService } from '@busbar/runtime';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnvWithPrivateInflux, PipelineEnvWithSmtp } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };

let env: PipelineEnvWithSmtp & PipelineEnvWithPrivateInflux; // a private InfluxDB: the outage test stops it
let sim: PowerSupplySimulator;

function devices(simPort: number): unknown[] {
  const map = { points: POWER_SUPPLY_MAP.points };
  const deviceClass = 'power-supply'; // measurement modbus:power-supply (docs/data-model.md)
  return [
    { id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unitId: 1, pollIntervalMs: 200, timeoutMs: 500, map, deviceClass },
    // the same simulator seen as a single-session device: its commands are routed to the collector
    { id: 'psu-solo', connection: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unitId: 1, pollIntervalMs: 500, timeoutMs: 500, session: 'exclusive', map, deviceClass },
  ];
}

/** A single-session device that no collector owns until the test starts one. */
function lateDevice(simPort: number): unknown {
  return { id: 'psu-late', connection: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unitId: 1, pollIntervalMs: 1000, timeoutMs: 500, session: 'exclusive', map: { points: POWER_SUPPLY_MAP.points } };
}

async function startLateCollector(instanceId: string): Promise<RunningService> {
  const raw = collectorConfigSchema.parse({ kafka: { brokers: env.kafka.brokers }, topics: env.topics, instanceId, devices: [lateDevice(sim.port)] });
  return startModbusCollector({ ...raw, devices: resolveModbusDevices(raw.devices!, '.') }, deps);
}

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ smtp: true, privateInflux: true }), startPowerSupplySimulator({ seed: 7, tickMs: 50 })]);
  const kafkaCfg = { brokers: env.kafka.brokers };
  const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, instanceId: `e2e-${env.run}`, devices: devices(sim.port) });
  const collectorCfg: CollectorConfig = { ...collectorRaw, devices: resolveModbusDevices(collectorRaw.devices!, '.') };
  const historianCfg = historianConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  const alerterCfg = alerterConfigSchema.parse({
    kafka: kafkaCfg, topics: env.topics, groupId: `e2e-alerter-${env.run}`,
    rules: [{ id: 'psu-overtemp', devices: ['psu-1'], signal: 'temperature_c', direction: 'above', warning: 70, critical: 80, clear: 60, forMs: 0 }],
    email: { smtp: { host: env.smtp.host, port: env.smtp.port }, from: 'busbar@lab.test', to: [env.smtp.address] },
  });
  const commanderRaw = commanderConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, modbus: { devices: [...devices(sim.port), lateDevice(sim.port)] } });
  const commanderCfg = resolveCommanderConfig(commanderRaw, '.');

  env.services.push(await startModbusCollector(collectorCfg, deps), await startHistorian(historianCfg, deps), await startAlerter(alerterCfg, deps), await startCommander(commanderCfg, deps));
}, 240_000);

afterAll(() => env?.stop(() => sim?.close()), 120_000);

describe('e2e > modbus pipeline', () => {
  it('stores the values the simulator produced in InfluxDB, with device tags and the reading timestamps', async () => {
    sim.forceInput('temperature_c', 42.5);
    const [reading] = await env.readings.waitFor((r) => r.device_id === 'psu-1' && r.values.temperature_c === 42.5);
    expect(reading!.protocol).toBe('modbus');
    expect(reading!.values.voltage_v).toBeCloseTo(sim.state().voltageV, 0);
    const at = reading!.timestamp.toISOString();
    let rows: Record<string, unknown>[] = [];
    await eventually(async () => {
      rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "modbus:power-supply" and r.device == "psu-1" and r._field == "temperature_c" and r._time == time(v: "${at}"))`);
      return rows.length === 1;
    }, 'the reading in InfluxDB');
    expect(rows[0]).toMatchObject({ _value: 42.5, device: 'psu-1', protocol: 'modbus' });
    expect(new Date(rows[0]!._time as string).getTime()).toBe(reading!.timestamp.getTime()); // InfluxDB drops trailing zeros of the fraction
    // every field of that reading is there
    const fields = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r.device == "psu-1" and r._time == time(v: "${at}"))`);
    const byField = Object.fromEntries(fields.map((f) => [f._field as string, f._value]));
    for (const [name, v] of Object.entries(reading!.values)) expect(byField[name]).toBeCloseTo(v, 6);
  });

  it('mails exactly one alert beyond the critical bound and one resolve notice below the clear bound', async () => {
    sim.forceInput('temperature_c', 95);
    const firing = await env.smtp.waitFor((m) => /\[Busbar CRITICAL\] psu-1: temperature_c = 95/.test(m.subject ?? ''), 20_000);
    expect(firing.text).toContain('Bound:     80');
    await env.alerts.waitFor((a) => a.state === 'FIRING' && a.severity === 'CRITICAL' && a.device_id === 'psu-1');
    const readingsAfter = env.readings.records.length;
    await eventually(() => env.readings.records.length > readingsAfter + 5, 'more readings while firing'); // stays beyond: no repeat
    sim.forceInput('temperature_c', 65); // below critical, above clear: still firing
    await eventually(() => env.readings.where((r) => r.values.temperature_c === 65).length >= 3, 'readings at 65');
    sim.forceInput('temperature_c', 50);
    const resolved = await env.smtp.waitFor((m) => /\[Busbar RESOLVED\] psu-1/.test(m.subject ?? ''), 20_000);
    expect(resolved.text).toContain('State:     RESOLVED');
    await eventually(() => env.readings.where((r) => r.values.temperature_c === 50).length >= 3, 'readings at 50');
    const subjects = (await env.smtp.messages()).map((m) => m.subject ?? '');
    expect(subjects.filter((s) => s.includes('CRITICAL'))).toHaveLength(1);
    expect(subjects.filter((s) => s.includes('RESOLVED'))).toHaveLength(1);
    const episode = env.alerts.where((a) => a.rule === 'psu-overtemp');
    expect(episode.map((a) => a.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(episode[0]!.alert_id).toBe(episode[1]!.alert_id);
  });

  it('executes a command within limits, rejects one beyond them without writing, runs a duplicate id once', async () => {
    const ok = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12.5 } });
    const [done] = await env.results.waitFor((r) => r.command_id === ok);
    expect(done).toMatchObject({ status: 'EXECUTED', device_id: 'psu-1', action: 'modbus.write' });
    expect(sim.state().voltageSetpointV).toBe(12.5);

    const before = sim.state().writesAccepted;
    const bad = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 75 } });
    const [refused] = await env.results.waitFor((r) => r.command_id === bad);
    expect(refused).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MODBUS_WRITE_OUT_OF_RANGE' });
    expect(refused!.reason).toContain('75 outside writable 0..60');
    expect(sim.state().voltageSetpointV).toBe(12.5);
    expect(sim.state().writesAccepted).toBe(before);

    const dup = randomUUID();
    await env.sendCommand({ command_id: dup, target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 10 } });
    await env.sendCommand({ command_id: dup, target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 20 } });
    const marker = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'current_limit_a', value: 3 } });
    await env.results.waitFor((r) => r.command_id === marker); // commands are handled in order: the duplicate was seen
    expect(env.results.where((r) => r.command_id === dup)).toHaveLength(1);
    expect(sim.state().voltageSetpointV).toBe(10);

    const expired = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 30 }, expires_at: new Date(Date.now() - 1000) });
    const [late] = await env.results.waitFor((r) => r.command_id === expired);
    expect(late).toMatchObject({ status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' });
    expect(sim.state().voltageSetpointV).toBe(10);
  });

  it('routes a single-session device\'s command to the collector that owns its connection', async () => {
    const id = await env.sendCommand({ target: { device_id: 'psu-solo' }, action: 'modbus.write', parameters: { point: 'output_enabled', value: true } });
    const [r] = await env.results.waitFor((x) => x.command_id === id);
    expect(r).toMatchObject({ status: 'EXECUTED', device_id: 'psu-solo' });
    expect(sim.state().outputEnabled).toBe(true);
    expect(env.results.where((x) => x.command_id === id)).toHaveLength(1);
    const refused = await env.sendCommand({ target: { device_id: 'psu-solo' }, action: 'modbus.write', parameters: { point: 'voltage_v', value: 1 } });
    const [rr] = await env.results.waitFor((x) => x.command_id === refused);
    expect(rr).toMatchObject({ status: 'REJECTED', reason_code: 'BB_MODBUS_NOT_WRITABLE' });
  });

  it('executes a command routed before its collector first joined, and a new collector instance answers no command twice', async () => {
    const early = await env.sendCommand({ target: { device_id: 'psu-late' }, action: 'modbus.write', parameters: { point: 'current_limit_a', value: 7 } });
    await new Promise((r) => setTimeout(r, 1500)); // routed to busbar.device-commands, nobody owns psu-late yet
    expect(env.results.where((r) => r.command_id === early)).toHaveLength(0);
    const first = await startLateCollector(`late-a-${env.run}`);
    try {
      const [r] = await env.results.waitFor((x) => x.command_id === early, 1, 40_000);
      expect(r).toMatchObject({ status: 'EXECUTED', device_id: 'psu-late' });
      expect(sim.state().currentLimitA).toBe(7);
    } finally {
      await first.stop();
    }
    // a new instance id reads the device-commands topic from its beginning, but knows `early` was answered
    const second = await startLateCollector(`late-b-${env.run}`);
    try {
      const marker = await env.sendCommand({ target: { device_id: 'psu-late' }, action: 'modbus.write', parameters: { point: 'current_limit_a', value: 6 } });
      await env.results.waitFor((x) => x.command_id === marker && x.status === 'EXECUTED', 1, 40_000);
      expect(env.results.where((x) => x.command_id === early)).toHaveLength(1);
      expect(sim.state().currentLimitA).toBe(6);
    } finally {
      await second.stop();
    }
  });

  it('dead-letters garbage on the readings and commands topics and keeps consuming', async () => {
    await env.producer.send({ topic: env.topics.readings, messages: [{ key: 'psu-1', value: Buffer.from('not avro at all') }] });
    await env.producer.send({ topic: env.topics.commands, messages: [{ key: 'psu-1', value: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]) }] });
    await env.deadLetters.waitFor((d) => d.source_topic === env.topics.readings && d.error_code === 'BB_AVRO_BAD_MAGIC', 2); // historian and alerter each
    const [cmdDead] = await env.deadLetters.waitFor((d) => d.source_topic === env.topics.commands);
    expect(cmdDead!.error_code).toBe('BB_AVRO_UNKNOWN_FINGERPRINT');
    expect(cmdDead!.payload.equals(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe(true);
    // the consumers go on
    const after = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'current_limit_a', value: 4 } });
    await env.results.waitFor((r) => r.command_id === after && r.status === 'EXECUTED');
    sim.forceInput('temperature_c', 33.3);
    const [r] = await env.readings.waitFor((x) => x.device_id === 'psu-1' && x.values.temperature_c === 33.3);
    await eventually(async () => (await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r.device == "psu-1" and r._field == "temperature_c" and r._time == time(v: "${r!.timestamp.toISOString()}"))`)).length === 1, 'historian still writing');
  });

  it('reconnects by itself when the simulator stops and restarts, and reports the outage', async () => {
    const port = sim.port;
    await sim.close();
    const [down] = await env.events.waitFor((e) => e.device_id === 'psu-1' && e.kind === 'DISCONNECTED');
    expect(down!.error_code).toMatch(/^BB_MODBUS_/);
    await new Promise((r) => setTimeout(r, 1000));
    sim = await startPowerSupplySimulator({ port, seed: 8, tickMs: 50 });
    sim.forceInput('temperature_c', 21.5);
    const [up] = await env.events.waitFor((e) => e.device_id === 'psu-1' && e.kind === 'CONNECTED' && Number(e.details.outage_ms) > 0, 1, 40_000);
    expect(up!.reason).toMatch(/reconnected after an outage of/);
    await env.readings.waitFor((r) => r.device_id === 'psu-1' && r.values.temperature_c === 21.5, 1, 20_000);
  });

  it('loses nothing while InfluxDB is down: every reading of the outage is stored once after it returns', async () => {
    const t0 = Date.now();
    await env.influx.stop();
    await new Promise((r) => setTimeout(r, 4000));
    await env.influx.start();
    const t1 = Date.now();
    // readings of one device are recorded in order: once a later one is in, every reading up to t1 is
    await env.readings.waitFor((r) => r.device_id === 'psu-1' && r.timestamp.getTime() > t1, 1, 20_000);
    const produced = env.readings.where((r) => r.device_id === 'psu-1' && r.timestamp.getTime() >= t0 && r.timestamp.getTime() <= t1);
    expect(produced.length).toBeGreaterThan(10);
    const flux = `from(bucket: "${env.influx.bucket}") |> range(start: ${new Date(t0).toISOString()}, stop: ${new Date(t1 + 1).toISOString()}) |> filter(fn: (r) => r.device == "psu-1" and r._field == "voltage_v") |> count()`;
    let count = 0;
    await eventually(async () => {
      const rows = await env.influxQuery(flux).catch(() => []);
      count = Number(rows[0]?._value ?? 0);
      return count >= produced.length;
    }, `${produced.length} points of the outage in InfluxDB`, 60_000);
    expect(count).toBe(produced.length);
  });
});
