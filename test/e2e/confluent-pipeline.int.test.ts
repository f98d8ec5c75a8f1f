/**
 * End to end in the Confluent wire format, on the real servers (Kafka, InfluxDB, a schema registry
 * — Apicurio's Confluent-compatible API — started by @busbar/testkit): power-supply simulator →
 * Modbus collector → Kafka (`00` + schema id) → historian → InfluxDB, with the registry stopped and
 * restarted mid-stream; alerter → SMTP; commands written in the Confluent format, by this test and by Confluent's
 * Python client (AvroSerializer), executed by the commander. Every service gets the framing from its
 * `kafka.avro` section only.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { AvroFraming, commandSerde, SchemaRegistryClient } from '@busbar/avro';
import type { Reading } from '@busbar/avro';
import { readTopicToEnd, createKafka } from '@busbar/kafka';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { alerterConfigSchema, startAlerter } from '@busbar/alerter';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import type { RunningService } from '@busbar/runtime';
import { startSchemaRegistry } from '@busbar/testkit';
import type { SchemaRegistryHandle } from '@busbar/testkit';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnvWithSmtp } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const repo = fileURLToPath(new URL('../../', import.meta.url));

let registry: SchemaRegistryHandle;
let env: PipelineEnvWithSmtp;
let sim: PowerSupplySimulator;
let registryClient: SchemaRegistryClient;
let historian: RunningService;
const tmp = mkdtempSync(join(tmpdir(), 'busbar-e2e-confluent-'));

const devices = (simPort: number): unknown[] => [{ id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: simPort }, unitId: 1, pollIntervalMs: 200, timeoutMs: 500, map: { points: POWER_SUPPLY_MAP.points } }];

function kafkaSection(): unknown {
  return { brokers: env.kafka.brokers, avro: { framing: 'confluent', registry: { url: registry.url } } };
}

function historianConfig(): HistorianConfig {
  return historianConfigSchema.parse({ kafka: kafkaSection(), topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
}

beforeAll(async () => {
  registry = await startSchemaRegistry();
  registryClient = new SchemaRegistryClient({ url: registry.url, timeoutMs: 1000 });
  const framing = new AvroFraming({ framing: 'confluent', registry: registryClient });
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'confluent', framing, smtp: true }), startPowerSupplySimulator({ seed: 11, tickMs: 50 })]);
  const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaSection(), topics: env.topics, instanceId: `e2e-${env.run}`, devices: devices(sim.port) });
  const commanderRaw = commanderConfigSchema.parse({ kafka: kafkaSection(), topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, modbus: { devices: devices(sim.port) } });
  const commanderCfg = resolveCommanderConfig(commanderRaw, '.');
  const alerterCfg = alerterConfigSchema.parse({
    kafka: kafkaSection(), topics: env.topics, groupId: `e2e-alerter-${env.run}`,
    rules: [{ id: 'psu-overtemp', devices: ['psu-1'], signal: 'temperature_c', direction: 'above', warning: 70, critical: 80, clear: 60, forMs: 0 }],
    email: { smtp: { host: env.smtp.host, port: env.smtp.port }, from: 'busbar@lab.test', to: [env.smtp.address] },
  });
  historian = await startHistorian(historianConfig(), deps);
  env.services.push(await startModbusCollector({ ...collectorRaw, devices: resolveModbusDevices(collectorRaw.devices!, '.') }, deps), await startCommander(commanderCfg, deps), await startAlerter(alerterCfg, deps));
}, 300_000);

afterAll(async () => {
  await historian?.stop().catch(() => undefined);
  await env?.stop(() => sim?.close(), () => registry?.dispose(), () => registryClient?.close());
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

async function influxRows(at: string): Promise<Record<string, unknown>[]> {
  return env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r.device == "psu-1" and r._field == "temperature_c" and r._time == time(v: "${at}"))`);
}

describe('e2e > pipeline in the Confluent wire format', () => {
  it('collector → Kafka (00 + schema id of <topic>-value, BACKWARD) → historian → InfluxDB', async () => {
    sim.forceInput('temperature_c', 41.5);
    const [reading] = await env.readings.waitFor((r) => r.device_id === 'psu-1' && r.values.temperature_c === 41.5, 1, 60_000);
    const at = reading!.timestamp.toISOString();
    await eventually(async () => (await influxRows(at)).length === 1, 'the reading in InfluxDB', 30_000);
    const latest = (await (await fetch(`${registry.url}/subjects/${env.topics.readings}-value/versions/latest`)).json()) as { id: number };
    expect((await (await fetch(`${registry.url}/config/${env.topics.readings}-value`)).json()) as unknown).toEqual({ compatibilityLevel: 'BACKWARD' });
    const firstBytes: string[] = [];
    await readTopicToEnd({ kafka: createKafka({ brokers: env.kafka.brokers, clientId: 'raw' }), topic: env.topics.readings, decoder: { decode: (b: Buffer) => b.subarray(0, 5).toString('hex') } }, (h) => firstBytes.push(h));
    expect(new Set(firstBytes)).toEqual(new Set([`00${latest.id.toString(16).padStart(8, '0')}`]));
  });

  it('the registry stopped mid-stream: a restarted historian waits (nothing written, nothing dead-lettered), then writes every reading once it is back', async () => {
    await historian.stop();
    await registry.stop();
    const outageStart = Date.now();
    let outageEnd = 0;
    let marker: Reading | undefined;
    const counts = new Map<string, number>();
    const metrics: Metrics = { ...noopMetrics, counter: (spec: MetricSpec): Counter => ({ inc: (_l?: Labels, v = 1) => void counts.set(spec.name, (counts.get(spec.name) ?? 0) + v) }) };
    try {
      // the collector knows its schema id: it keeps publishing while the registry is down
      sim.forceInput('temperature_c', 37.5);
      [marker] = await env.readings.waitFor((r) => r.values.temperature_c === 37.5, 1, 20_000);
      // a historian that never saw the id (a restart, a new member of the group)
      historian = await startHistorian(historianConfig(), { logger: noopLogger, metrics });
      await eventually(() => (counts.get('busbar_kafka_registry_waits_total') ?? 0) >= 2, 'the historian waiting for the registry', 30_000);
      await new Promise((r) => setTimeout(r, 3000)); // still waiting 3 s later; readings keep coming meanwhile
      expect(counts.get('busbar_kafka_registry_waits_total') ?? 0).toBeGreaterThanOrEqual(3);
      expect(await influxRows(marker!.timestamp.toISOString())).toHaveLength(0);
      expect(counts.get('busbar_kafka_dead_letters_total') ?? 0).toBe(0);
    } finally {
      outageEnd = Date.now();
      await registry.start();
    }
    await eventually(async () => (await influxRows(marker!.timestamp.toISOString())).length === 1, 'the marker in InfluxDB after the restart', 60_000);
    // nothing lost: every reading published during the outage is in InfluxDB
    const during = env.readings.where((r) => r.device_id === 'psu-1' && r.timestamp.getTime() >= outageStart && r.timestamp.getTime() <= outageEnd);
    expect(during.length).toBeGreaterThan(5);
    const first = new Date(Math.min(...during.map((r) => r.timestamp.getTime()))).toISOString();
    const last = new Date(Math.max(...during.map((r) => r.timestamp.getTime())) + 1).toISOString();
    await eventually(async () => {
      const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: ${first}, stop: ${last}) |> filter(fn: (r) => r.device == "psu-1" and r._field == "voltage_v")`);
      return rows.length === during.length;
    }, `all ${during.length} readings of the outage in InfluxDB`, 30_000);
    expect(counts.get('busbar_kafka_dead_letters_total') ?? 0).toBe(0);
    expect(env.deadLetters.records).toHaveLength(0);
  }, 180_000);

  it('the alerter reads Confluent readings, mails once and publishes its Alert in the Confluent format', async () => {
    sim.forceInput('temperature_c', 95);
    const firing = await env.smtp.waitFor((m) => /\[Busbar CRITICAL\] psu-1: temperature_c = 95/.test(m.subject ?? ''), 30_000);
    expect(firing.text).toContain('Bound:     80');
    const [alert] = await env.alerts.waitFor((a) => a.state === 'FIRING' && a.device_id === 'psu-1', 1, 30_000);
    expect(alert).toMatchObject({ rule: 'psu-overtemp', severity: 'CRITICAL', value: 95 });
    sim.forceInput('temperature_c', 40);
    await env.smtp.waitFor((m) => /\[Busbar RESOLVED\] psu-1/.test(m.subject ?? ''), 30_000);
    expect((await env.smtp.messages()).filter((m) => (m.subject ?? '').includes('CRITICAL'))).toHaveLength(1);
    const raw: string[] = [];
    await readTopicToEnd({ kafka: createKafka({ brokers: env.kafka.brokers, clientId: 'raw-alerts' }), topic: env.topics.alerts, decoder: { decode: (b: Buffer) => b.subarray(0, 1).toString('hex') } }, (h) => raw.push(h));
    expect(new Set(raw)).toEqual(new Set(['00']));
  }, 90_000);

  it('the commander executes a command written in the Confluent format, and publishes its result in it', async () => {
    const id = await env.sendCommand({ target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 13.5 } });
    const [done] = await env.results.waitFor((r) => r.command_id === id, 1, 30_000);
    expect(done).toMatchObject({ status: 'EXECUTED', device_id: 'psu-1' });
    expect(sim.state().voltageSetpointV).toBe(13.5);
    const subjects = (await (await fetch(`${registry.url}/subjects`)).json()) as string[];
    expect(subjects).toEqual(expect.arrayContaining([`${env.topics.commands}-value`, `${env.topics.commandResults}-value`, `${env.topics.readings}-value`]));
  }, 60_000);

  it("the commander executes a command written by confluent-kafka's AvroSerializer (Python)", async () => {
    const py = process.env['BUSBAR_PEERS_PYTHON'] ?? join(repo, '.venv/peers/bin/python');
    if (!existsSync(py)) throw new Error(`peers Python not found at ${py}: run \`bash scripts/peers/setup-venv.sh\``);
    const schemaFile = join(tmp, 'command.avsc');
    writeFileSync(schemaFile, JSON.stringify(commandSerde.schema().json, null, 2));
    const now = Date.now();
    const command = {
      command_id: `py-${env.run}`, issuer: 'python', issued_at: new Date(now).toISOString(), expires_at: new Date(now + 60_000).toISOString(),
      target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 9.5 }, dry_run: false,
    };
    const script = join(repo, 'packages/kafka/test/peers/confluent_peer.py');
    await promisify(execFile)(py, [script, 'write', env.kafka.brokers.join(','), registry.url, env.topics.commands, schemaFile, JSON.stringify(command)], { timeout: 60_000 });
    const [done] = await env.results.waitFor((r) => r.command_id === command.command_id, 1, 30_000);
    expect(done).toMatchObject({ status: 'EXECUTED', device_id: 'psu-1' });
    expect(sim.state().voltageSetpointV).toBe(9.5);
  }, 90_000);
});
