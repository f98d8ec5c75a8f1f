/**
 * End to end on the real servers (Kafka and InfluxDB started by @busbar/testkit): Arbin CTI
 * simulator → Arbin collector → Kafka (Avro) → historian → InfluxDB; commander → (routed over
 * Kafka, the CTI session is exclusive) → Arbin collector → simulator. The services run in this
 * process; the servers are real.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput, CommandResult, DeviceEvent } from '@busbar/avro';
import { commandSerde } from '@busbar/avro';
import { collectorConfigSchema, startArbinCollector } from '@busbar/collector-arbin';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator, ArbinSimulatorOptions } from '@busbar/driver-arbin-cti';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const credentials = { username: 'e2e-user', password: 'e2e-secret' };
const simOptions = (port = 0): ArbinSimulatorOptions => ({ port, channels: 8, ...credentials, tickMs: 50, currentMv: 1, defaultCurrentA: 1 });
const DEVICE = 'arbin-1';

let env: PipelineEnv;
let sim: ArbinSimulator;
let proxy: CtiProxy;

/**
 * A loopback TCP relay between the collector and the simulator. `killOnNextRequest()` makes it, at
 * the next bytes the collector sends (a request of a poll in progress), drop them unanswered, cut
 * the connection and close the simulator: the cycler dies mid-poll.
 */
interface CtiProxy {
  readonly port: number;
  killOnNextRequest(kill: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(target: () => number): Promise<CtiProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let onRequest: (() => void) | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (onRequest) return onRequest();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    killOnNextRequest: (kill) => new Promise<void>((resolve, reject) => {
      onRequest = () => {
        onRequest = undefined;
        for (const [c, u] of pairs) {
          c.destroy();
          u.destroy();
        }
        kill().then(resolve, reject);
      };
    }),
    close: () => new Promise<void>((resolve) => {
      for (const [c, u] of pairs) {
        c.destroy();
        u.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

function devices(simPort: number): unknown[] {
  return [{
    id: DEVICE, host: '127.0.0.1', port: simPort, channels: 'all', aux: true, pollIntervalMs: 200, requestTimeoutMs: 2000, connectTimeoutMs: 2000,
    metaVariables: [{ mv: 1, name: 'charge_current_a', unit: 'A', min: 0, max: 2 }],
    allowedSchedules: ['Busbar_CC.sdx'],
  }];
}

async function command(action: string, channel: number, parameters: CommandInput['parameters'] = {}): Promise<CommandResult> {
  const id = await env.sendCommand({ target: { device_id: DEVICE, channel }, action, parameters });
  const [r] = await env.results.waitFor((x) => x.command_id === id, 1, 30_000);
  return r!;
}

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ clientId: 'e2e-arbin' }), startArbinSimulator(simOptions())]);
  proxy = await startProxy(() => sim.port);

  const kafkaCfg = { brokers: env.kafka.brokers };
  const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, instanceId: `e2e-${env.run}`, devices: devices(proxy.port) });
  const collectorCfg = { ...collectorRaw, devices: collectorRaw.devices! };
  const historianCfg = historianConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  const commanderCfg = resolveCommanderConfig(commanderConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, arbin: { devices: devices(proxy.port) } }), '.');
  env.services.push(await startArbinCollector(collectorCfg, { ...deps, credentials }), await startHistorian(historianCfg, deps), await startCommander(commanderCfg, deps));

  // A command sent right after start is answered: a new collector group reads the routed commands
  // from the beginning of the topic (nothing sent before it joined is lost).
  const first = await env.sendCommand({ target: { device_id: DEVICE, channel: 8 }, action: 'arbin.stop', parameters: {} });
  await env.results.waitFor((x) => x.command_id === first, 1, 60_000);
}, 240_000);

afterAll(() => env?.stop(() => proxy?.close(), () => sim?.close()), 120_000);

describe('e2e > arbin pipeline', () => {
  it('stores every channel\'s values in InfluxDB, queried by device and channel tags', async () => {
    const [r] = await env.readings.waitFor((x) => x.device_id === DEVICE && x.channel === 3);
    expect(r).toMatchObject({ protocol: 'arbin-cti', quality: 'GOOD', states: { status: 'Idle', state: 'idle' } });
    expect(r!.values.aux_temperature_1_c).toBeCloseTo(25, 0);
    const at = r!.timestamp.toISOString();
    // one reading per channel per poll
    const samePoll = env.readings.where((x) => x.device_id === DEVICE && x.timestamp.getTime() === r!.timestamp.getTime());
    expect(samePoll.map((x) => x.channel).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    let rows: Record<string, unknown>[] = [];
    await eventually(async () => {
      rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "cycler_channel" and r.device == "${DEVICE}" and r.channel == "0003" and r._time == time(v: "${at}"))`);
      return rows.some((x) => x._field === 'voltage_v');
    }, 'the channel 3 reading in InfluxDB');
    const byField = Object.fromEntries(rows.map((x) => [x._field as string, x._value]));
    for (const [name, v] of Object.entries(r!.values)) expect(byField[name], name).toBeCloseTo(v, 6);
    expect(rows[0]).toMatchObject({ device: DEVICE, channel: '0003', protocol: 'arbin-cti' });
  });

  it('starts a test, and a set-MV changes the simulated current in the next readings', async () => {
    const started = await command('arbin.start', 1, { schedule: 'Busbar_CC.sdx', test_name: `e2e-${env.run}` });
    expect(started).toMatchObject({ status: 'EXECUTED', channel: 1, details: { vendor_name: 'CTI_START_SUCCESS' } });
    const [ev] = await env.events.waitFor((e) => e.device_id === DEVICE && e.channel === 1 && e.kind === 'STATE_CHANGE' && e.state === 'Charge');
    expect(ev).toMatchObject({ previous_state: 'Idle', details: { transition: 'started', test_name: `e2e-${env.run}` } });
    await env.readings.waitFor((x) => x.device_id === DEVICE && x.channel === 1 && x.values.current_a === 1);

    const set = await command('arbin.set_meta_variable', 1, { mv: 1, value: 1.5 });
    expect(set).toMatchObject({ status: 'EXECUTED', details: { vendor_name: 'CTI_SET_MV_SUCCESS' } });
    const after = set.timestamp.getTime();
    const [r] = await env.readings.waitFor((x) => x.device_id === DEVICE && x.channel === 1 && x.timestamp.getTime() > after);
    expect(r!.values.current_a).toBeCloseTo(1.5, 5);
    expect(sim.mvLog.at(-1)).toMatchObject({ channel: 1, mv: 1, value: 1.5 });
  });

  it('rejects a start on a running channel with the cycler\'s reason', async () => {
    const r = await command('arbin.start', 1, { schedule: 'Busbar_CC.sdx', test_name: 'second' });
    expect(r).toMatchObject({ status: 'REJECTED', reason_code: 'BB_ARBIN_CYCLER_REFUSED', details: { vendor_code: '0x14', vendor_name: 'CTI_ASSIGN_CHANNEL_RUNNING_ERROR' } });
    expect(r.reason).toContain('channel is running');
    expect(sim.channel(1).test_name).toBe(`e2e-${env.run}`);
  });

  it('rejects a set-MV outside the configured limit and never sends it', async () => {
    const before = sim.mvLog.length;
    const r = await command('arbin.set_meta_variable', 1, { mv: 1, value: 5 });
    expect(r).toMatchObject({ status: 'REJECTED', reason_code: 'BB_COMMAND_OUT_OF_RANGE', reason: 'MV_UD1 (charge_current_a, A) of channel 1 = 5 is outside the allowed range [0, 2]' });
    // a later accepted command went through the same path: the refused one was never sent
    expect(await command('arbin.set_meta_variable', 1, { mv: 1, value: 1.2 })).toMatchObject({ status: 'EXECUTED' });
    expect(sim.mvLog.slice(before).map((e) => e.value)).toEqual([Math.fround(1.2)]); // float32 on the wire (README §4.7)
  });

  it('answers each of a burst of set-MV commands exactly once, spaced ≥ 200 ms on the wire, the newest value winning', async () => {
    const before = sim.mvLog.length;
    const values = [0.4, 0.6, 0.8, 1.0];
    const ids: string[] = values.map(() => randomUUID());
    await env.producer.send({
      topic: env.topics.commands,
      messages: values.map((value, i) => ({ key: DEVICE, value: commandSerde.encode({ command_id: ids[i]!, issuer: 'e2e', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: DEVICE, channel: 1 }, action: 'arbin.set_meta_variable', parameters: { mv: 1, value } }) })),
    });
    const answered = await env.results.waitFor((x) => ids.includes(x.command_id), ids.length, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // no second result may follow
    expect(env.results.where((x) => ids.includes(x.command_id))).toHaveLength(ids.length);
    for (const r of answered) {
      if (r.status === 'REJECTED') expect(r).toMatchObject({ reason_code: 'BB_ARBIN_MV_SUPERSEDED', details: { superseded_by: expect.any(String) } });
      else expect(r.status).toBe('EXECUTED');
    }
    expect(answered.find((r) => r.command_id === ids[3])!.status).toBe('EXECUTED');
    const sent = sim.mvLog.slice(before);
    expect(sent.at(-1)!.value).toBeCloseTo(1.0, 6);
    expect(sent.length).toBe(answered.filter((r) => r.status === 'EXECUTED').length);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.atMs - sent[i - 1]!.atMs).toBeGreaterThanOrEqual(200);
  });

  it('reports an unsafe channel as a FAULT event', async () => {
    sim.injectFault(4);
    const [e] = await env.events.waitFor((x) => x.device_id === DEVICE && x.channel === 4 && x.kind === 'FAULT');
    expect(e).toMatchObject({ previous_state: 'Idle', state: 'Unsafe', details: { transition: 'fault', severity: 'critical' } });
  });

  it('reconnects and logs in again after the simulator is killed mid-poll; readings resume; the outage is reported', async () => {
    const port = sim.port;
    const eventsBefore = env.events.records.length;
    await proxy.killOnNextRequest(() => sim.close()); // a get-channels-info of a poll is left unanswered
    const isNew = (e: DeviceEvent): boolean => env.events.records.findIndex((r) => r.value === e) >= eventsBefore;
    const [down] = await env.events.waitFor((e) => e.device_id === DEVICE && e.kind === 'DISCONNECTED' && isNew(e));
    expect(down).toMatchObject({ error_code: 'BB_ARBIN_CONNECTION_LOST', state: 'disconnected' });
    await new Promise((r) => setTimeout(r, 1000));
    sim = await startArbinSimulator(simOptions(port));
    const restartedAt = Date.now();
    const [up] = await env.events.waitFor((e) => e.device_id === DEVICE && e.kind === 'CONNECTED' && Number(e.details.outage_ms) > 0, 1, 40_000);
    expect(up!.reason).toMatch(/reconnected and logged in again after an outage of/);
    await env.readings.waitFor((r) => r.device_id === DEVICE && r.channel === 8 && r.timestamp.getTime() >= restartedAt, 1, 20_000);
    expect(sim.violations).toEqual([]); // nothing was sent before the new login (the simulator closes on that)
  });
});
