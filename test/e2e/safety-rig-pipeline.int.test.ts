/**
 * The battery safety rig end to end, on the real servers and peers nobody here wrote: the BMS is the
 * python-can + cantools simulator on a socketcand bus, the PCS a pymodbus 3.16 RTU server on a socat
 * pty pair, the Arduino the sketch simulator on another pty pair; the rig collector (one process, three
 * links, the interlock in it), the historian (InfluxDB) and the commander (rig.* commands routed to
 * the collector) run in this process on the run's Kafka.
 *
 * Checks: BMU, PCS and Arduino readings reach InfluxDB; a dangerous cell voltage from the BMS drives
 * the PCS off (op mode 0 written over RTU) and the relays open (the sketch's pins low), with STATE_CHANGE
 * events naming the rule; the latched safe state survives the value's return until rig.reset_latch,
 * which is refused while the dangerous value persists; a silent BMU and an unanswering PCS trip the
 * rig after their ages (the PCS's failure keeps the other links up, so the relays still open).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput, CommandResult } from '@busbar/avro';
import { loadCollectorConfig, startSafetyRigCollector } from '@busbar/collector-safety-rig';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { loadCommanderConfig, startCommander } from '@busbar/commander';
import { openPtyPair, startSketchSimulator } from '@busbar/driver-arduino-io';
import type { PtyPair, SketchSimulator } from '@busbar/driver-arduino-io';
import { startSocketcandServer } from '@busbar/driver-can';
import type { SocketcandServer } from '@busbar/driver-can';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';
import { startBmsPeer, startPcsPeer } from '../../deploy/local/rig-peers.js';
import type { BmsPeer, PcsPeer } from '../../deploy/local/rig-peers.js';

const DEVICE = 'rig-e2e';
const EXAMPLES = fileURLToPath(new URL('../../packages/modules/safety-rig/examples/', import.meta.url));
const OP_MODE = 41026; // xlsx numbering (reference §4.2)
const SETPOINT = 41027;
const RELAY_PINS = [5, 3, 4];
const deps = { logger: noopLogger, metrics: noopMetrics };

let env: PipelineEnv;
let can: SocketcandServer;
let bms: BmsPeer;
let pcsPty: PtyPair;
let pcs: PcsPeer;
let ioPty: PtyPair;
let sketch: SketchSimulator;

async function command(action: string, parameters: CommandInput['parameters'] = {}): Promise<CommandResult> {
  const id = await env.sendCommand({ target: { device_id: DEVICE, channel: null }, action, parameters });
  const [r] = await env.results.waitFor((x) => x.command_id === id, 1, 30_000);
  return r!;
}

/** The rig's device file in `dir`: the example, with this test's links and a quicker interlock. */
function writeDevices(dir: string): void {
  for (const f of ['busbar_safety_rig_bmu.dbc', 'characterization.csv']) copyFileSync(join(EXAMPLES, f), join(dir, f));
  const interlock = parseYaml(readFileSync(join(EXAMPLES, 'interlock.original.yaml'), 'utf8')) as { inputs: { bmu: { nodes: number[] } }; actions: { dangerous: { relayOpenDelayMs: number } } };
  interlock.inputs.bmu.nodes = [1, 2];
  interlock.actions.dangerous.relayOpenDelayMs = 500;
  const { devices } = parseYaml(readFileSync(join(EXAMPLES, 'safety-rig-devices.yaml'), 'utf8')) as { devices: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const rig = devices[0]!;
  rig.id = DEVICE;
  rig.pollIntervalMs = 300;
  rig.can = { ...rig.can, socketcand: { host: '127.0.0.1', port: can.port, bus: 'can0' }, readingIntervalMs: 300 };
  delete rig.can.syncPeriodMs;
  rig.pcs = { ...rig.pcs, connection: { path: pcsPty.b, baudRate: 19200 } };
  // the sketch simulator runs in this busy process: a wider gap than the sketch's 1 s read keeps two commands from merging when its timers lag
  rig.arduino = { ...rig.arduino, path: ioPty.b, commandGapMs: 1600 };
  delete rig.interlockFile;
  rig.interlock = interlock;
  writeFileSync(join(dir, 'short.csv'), '\uFEFFInterval [s],Current [A]\r\n1,-10\r\n1,10\r\n');
  rig.schedules = { short: { file: 'short.csv', mode: 'current' } };
  writeFileSync(join(dir, 'rig-devices.yaml'), stringify({ devices }));
}

beforeAll(async () => {
  [env, can, pcsPty, ioPty] = await Promise.all([startPipelineEnv({ clientId: 'e2e-rig' }), startSocketcandServer(), openPtyPair(), openPtyPair()]);
  [bms, pcs, sketch] = await Promise.all([
    startBmsPeer(can.port, [1, 2], 0.05),
    startPcsPeer(pcsPty.a, [{ address: 30263, value: 378.4, countsPer: 32.767 }, { address: 30266, value: -1.5, countsPer: 218.44 }]),
    startSketchSimulator({ path: ioPty.a, intervalMs: 200, analog: { temperature1Counts: 420, temperature2Counts: 430, pressureCounts: 300 } }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'busbar-rig-e2e-'));
  writeDevices(dir);
  const kafka = `kafka: { brokers: ${JSON.stringify(env.kafka.brokers)} }\ntopics: ${JSON.stringify(env.topics)}\n`;
  writeFileSync(join(dir, 'collector.yaml'), `${kafka}instanceId: e2e-${env.run}\nbuffer: { path: ${JSON.stringify(join(dir, 'buffer.sqlite'))} }\ndevicesFile: rig-devices.yaml\n`);
  writeFileSync(join(dir, 'commander.yaml'), `${kafka}groupId: e2e-commander-${env.run}\npolicy: { requireSignature: false }\nrig: { devicesFile: rig-devices.yaml }\n`);
  const historianCfg = historianConfigSchema.parse({ kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  env.services.push(
    await startSafetyRigCollector(loadCollectorConfig(join(dir, 'collector.yaml'), {}), deps),
    await startHistorian(historianCfg, deps),
    await startCommander(loadCommanderConfig(join(dir, 'commander.yaml'), {}), deps),
  );
}, 240_000);

afterAll(() => env?.stop(() => bms?.stop(), () => pcs?.stop(), () => sketch?.close(), () => can?.close(), () => pcsPty?.close(), () => ioPty?.close()), 120_000);

describe('e2e > safety rig pipeline (python-can BMS via socketcand, pymodbus RTU PCS, sketch simulator)', () => {
  it('stores BMU, PCS and Arduino readings in InfluxDB', async () => {
    const [bmu] = await env.readings.waitFor((r) => r.device_id === DEVICE && r.channel === 2 && r.values.max_cell_voltage_v !== undefined, 1, 60_000);
    expect(bmu).toMatchObject({ protocol: 'safety-rig', record_type: 'rig:bmu', states: { source: 'bmu', interlock: 'normal' } });
    expect(bmu!.values.module_voltage_v).toBeCloseTo(47.2, 2); // bms_sim: 47.0 + 0.1 × node
    expect(bmu!.values.max_cell_voltage_v).toBeCloseTo(3.34, 2);
    const [pcsReading] = await env.readings.waitFor((r) => r.device_id === DEVICE && r.states.source === 'pcs', 1, 30_000);
    expect(pcsReading!.values.battery_voltage_v).toBeCloseTo(378.4, 1);
    expect(pcsReading!.values.dc_link_power_kw).toBeCloseTo(-1.5, 2);
    const [io] = await env.readings.waitFor((r) => r.device_id === DEVICE && r.states.source === 'arduino', 1, 30_000);
    expect(io!.values).toEqual({ temperature_1_c: expect.any(Number), temperature_2_c: expect.any(Number), pressure_pa: expect.any(Number) });
    for (const [source, field] of [['bmu', 'max_cell_voltage_v'], ['pcs', 'battery_voltage_v'], ['arduino', 'pressure_pa']] as const) {
      await eventually(async () => {
        // one measurement per kind of rig record (docs/data-model.md): rig:bmu, rig:pcs, rig:arduino
        const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "rig:${source}" and r.device == "${DEVICE}" and r._field == "${field}")`);
        return rows.length > 0;
      }, `${source} ${field} in InfluxDB`, 60_000);
    }
  }, 120_000);

  it('commands through the commander: relays on, a PCS set-point within the envelope; one outside is refused', async () => {
    expect((await command('rig.set_outputs', { relay1: true, relay2: true, relay3: true })).status).toBe('EXECUTED');
    await eventually(() => RELAY_PINS.every((p) => sketch.pins.get(p) === true), 'relays on at the sketch', 10_000);
    expect((await command('rig.pcs_setpoint', { mode: 'current', value: -20 })).status).toBe('EXECUTED');
    expect(await pcs.written(OP_MODE)).toContain(2); // current mode (the original's code)
    expect(await pcs.written(SETPOINT)).toContain(65536 - Math.round(20 * 52.094));
    const refused = await command('rig.pcs_setpoint', { mode: 'current', value: -150 });
    expect([refused.status, refused.reason_code]).toEqual(['REJECTED', 'BB_COMMAND_OUT_OF_RANGE']);
    const pin = await command('rig.set_outputs', { pin13: true });
    expect([pin.status, pin.reason_code]).toEqual(['REJECTED', 'BB_RIG_PIN_NOT_ALLOWED']);
  }, 90_000);

  it('rig.start_schedule runs a configured CSV schedule on the PCS, step by step, and switches the PCS off at its end', async () => {
    const setpoints = (await pcs.written(SETPOINT)).length;
    const modes = (await pcs.written(OP_MODE)).length;
    const started = await command('rig.start_schedule', { schedule: 'short' });
    expect([started.status, started.details.steps]).toEqual(['EXECUTED', '2']);
    const steps = await env.events.waitFor((e) => e.device_id === DEVICE && e.state === 'schedule:step' && e.details.schedule === 'short.csv', 2, 20_000);
    expect(steps.map((e) => [e.details.index, e.details.setpoint, e.details.line])).toEqual([['0', '-10', '2'], ['1', '10', '3']]);
    await env.events.waitFor((e) => e.device_id === DEVICE && e.state === 'schedule:completed', 1, 20_000);
    await eventually(async () => (await pcs.written(OP_MODE)).slice(modes).at(-1) === 0, 'PCS off after the last step', 10_000);
    expect((await pcs.written(SETPOINT)).slice(setpoints)).toEqual([65536 - Math.round(10 * 52.094), Math.round(10 * 52.094)]);
    const unknown = await command('rig.start_schedule', { schedule: 'nope' });
    expect([unknown.status, unknown.reason_code]).toEqual(['REJECTED', 'BB_COMMAND_PARAMETER_INVALID']);
  }, 60_000);

  it('a dangerous cell voltage drives the PCS off and the relays open; the safe state is latched until rig.reset_latch', async () => {
    const writesBefore = (await pcs.written(OP_MODE)).length;
    bms.command('set 2 Cell_5_Voltage 4.3');
    const [dangerous] = await env.events.waitFor((e) => e.device_id === DEVICE && e.state === 'dangerous', 1, 30_000);
    expect(dangerous).toMatchObject({ kind: 'STATE_CHANGE', previous_state: 'normal', channel: 2, details: { rule: 'cell_voltage_high', input: 'bmu:2', quantity: 'max_cell_voltage_v', level: 'dangerous', limit: '4.2' } });
    expect(Number(dangerous!.details.value)).toBeCloseTo(4.3, 2);
    await eventually(async () => (await pcs.written(OP_MODE)).slice(writesBefore).includes(0), 'PCS op mode 0 written over RTU', 10_000);
    await env.events.waitFor((e) => e.device_id === DEVICE && e.previous_state === 'dangerous' && e.state === 'safe', 1, 30_000);
    await eventually(() => RELAY_PINS.every((p) => sketch.pins.get(p) === false), 'relays open at the sketch', 15_000);

    // the value persists: reset refused
    const refused = await command('rig.reset_latch');
    expect([refused.status, refused.reason_code]).toEqual(['REJECTED', 'BB_RIG_RESET_REFUSED']);
    expect(refused.reason).toMatch(/cell_voltage_high/);
    // the value returns: still latched (readings say safe), commands that drive the rig refused
    bms.command('set 2 Cell_5_Voltage 3.3');
    const since = Date.now();
    await env.readings.waitFor((r) => r.device_id === DEVICE && r.channel === 2 && r.timestamp.getTime() > since && r.values.max_cell_voltage_v! < 4, 1, 30_000);
    const [latched] = await env.readings.waitFor((r) => r.device_id === DEVICE && r.states.source === 'pcs' && r.timestamp.getTime() > since + 500, 1, 30_000);
    expect(latched!.states.interlock).toBe('safe');
    const blocked = await command('rig.pcs_setpoint', { mode: 'current', value: -5 });
    expect([blocked.status, blocked.reason_code]).toEqual(['REJECTED', 'BB_RIG_STATE_REFUSED']);
    // reset
    const reset = await command('rig.reset_latch');
    expect([reset.status, reset.details.state]).toEqual(['EXECUTED', 'normal']);
    await env.events.waitFor((e) => e.device_id === DEVICE && e.previous_state === 'safe' && e.state === 'normal', 1, 30_000);
  }, 120_000);

  it('a BMU that falls silent is a dangerous (stale) condition after its age: a quiet bus blocks nothing (D5)', async () => {
    const before = env.events.where((e) => e.device_id === DEVICE && e.state === 'dangerous').length;
    const silentAt = Date.now();
    bms.command('stop 1');
    const [stale] = (await env.events.waitFor((e) => e.device_id === DEVICE && e.state === 'dangerous', before + 1, 30_000)).slice(-1);
    expect(stale).toMatchObject({ previous_state: 'normal', channel: 1, details: { rule: 'stale', input: 'bmu:1', stale: 'true', limit: '3000' } });
    expect(stale!.timestamp.getTime() - silentAt).toBeGreaterThanOrEqual(2900); // not before its age (3000 ms, a PDO may be in flight)
    await env.events.waitFor((e) => e.device_id === DEVICE && e.previous_state === 'dangerous' && e.state === 'safe' && e.timestamp.getTime() >= silentAt, 1, 30_000);
    const refused = await command('rig.reset_latch');
    expect([refused.status, refused.reason_code]).toEqual(['REJECTED', 'BB_RIG_RESET_REFUSED']);
    expect(refused.reason).toMatch(/bmu:1/);
    bms.command('start 1');
    await eventually(async () => (await command('rig.reset_latch')).status === 'EXECUTED', 'reset once BMU 1 is back', 30_000);
  }, 120_000);

  it('a PCS that stops answering keeps the other links up and trips the rig after its age: the relays still open (D8)', async () => {
    expect((await command('rig.set_outputs', { relay1: true, relay2: true, relay3: true })).status).toBe('EXECUTED');
    await eventually(() => RELAY_PINS.every((p) => sketch.pins.get(p) === true), 'relays on at the sketch', 10_000);
    const gone = Date.now();
    await pcs.stop(); // the RTU server is gone: every request times out
    await env.events.waitFor((e) => e.device_id === DEVICE && e.kind === 'FAULT' && e.state === 'pcs_unreadable' && e.timestamp.getTime() >= gone, 1, 30_000);
    const [trip] = await env.events.waitFor((e) => e.device_id === DEVICE && e.state === 'dangerous' && e.timestamp.getTime() >= gone, 1, 30_000);
    expect(trip!.details).toMatchObject({ rule: 'stale', input: 'pcs' });
    await eventually(() => RELAY_PINS.every((p) => sketch.pins.get(p) === false), 'relays open at the sketch', 15_000);
    expect(env.events.where((e) => e.device_id === DEVICE && e.kind === 'DISCONNECTED' && e.timestamp.getTime() >= gone)).toEqual([]); // the session stayed
  }, 120_000);
});
