/**
 * Every Flux query of Busbar's dashboards (panels, annotations, template variables), extracted from
 * the generated JSON and run against a real InfluxDB filled the way the demo fills it: readings of an
 * Arbin cycler, a Maccor tester (fallback measurement: its collector does not set record_type yet),
 * a Modbus power supply, Corus meters (one with record_type, one without) and a safety rig (BMU,
 * PCS and Arduino readings, interlock transitions and actions), device events, command results and alerts, all published on Kafka and written by the real historian. Each query
 * must return rows with the columns its panel expects. Grafana itself cannot run here (AGPL, not
 * served), so its two inputs are made the way Grafana makes them: template variables resolved in
 * order from their own queries, and `v.timeRangeStart`/`v.timeRangeStop`/`v.windowPeriod`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import { alertSerde, commandResultSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import { emptyChannelRecord, toChannelReading } from '@busbar/driver-arbin-cti';
import { toArbinReading } from '@busbar/module-arbin';
import { toReading as modbusReading } from '@busbar/module-modbus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { allDashboards, EXPECTED_COLUMNS } from '../../deploy/grafana/src/dashboards.js';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

let env: PipelineEnv;
const now = Date.now();
const minute = 60_000;
const at = (minutesAgo: number): Date => new Date(now - minutesAgo * minute);

/** The demo's devices over the last 20 minutes, as their producers shape them. */
function readings(): ReadingInput[] {
  const out: ReadingInput[] = [];
  let seq = 0;
  for (let m = 20; m >= 1; m--) {
    for (const ch of [0, 1]) {
      const step = m > 10 ? 1 : 2; // the test moves from step 1 (CC charge) to step 2 (rest)
      const wire = { ...emptyChannelRecord(ch), status: 2, status_name: 'Charge', voltage_v: 3.6 + (20 - m) * 0.01, current_a: step === 1 ? 1.5 : 0, charge_capacity_ah: (20 - m) * 0.025, discharge_capacity_ah: 0,
        step_and_cycle_format: `[1] ${step}: ${step === 1 ? 'CC_Charge' : 'Rest'}, Current`, schedule: 'Busbar_CC.sdx', testname: 'busbar-demo', comm_failure: m === 3 && ch === 1 ? 1 : 0,
        aux: { ...emptyChannelRecord(ch).aux, temperature: [{ value: 25 + m / 10, dt: 0 }] } };
      out.push(toArbinReading('arbin-1', toChannelReading(wire), at(m).getTime(), ++seq));
    }
    // Maccor as collector-maccor publishes it today (no record_type: fallback measurement maccor-macnet)
    out.push({ device_id: 'maccor-1', protocol: 'maccor-macnet', channel: 1, timestamp: at(m), values: { voltage_v: 3.7, current_a: 0.5, capacity_ah: (20 - m) * 0.01, energy_wh: (20 - m) * 0.04, cycle: 1, step: 2, test_time_s: (20 - m) * 60 }, states: { status: 'Charge', phase: 'running' }, sequence: ++seq });
    out.push(modbusReading('psu-1', { voltage_v: 24, current_a: 1.2, temperature_c: 30 + m, status_output_on: true }, at(m).getTime(), ++seq, 'power-supply'));
    // Corus parameter polls: one converter with record_type, one without (fallback measurement itron-corus)
    for (const [device, recordType] of [['corus-1', 'meter_poll'], ['corus-legacy', null]] as const) {
      out.push({ device_id: device, protocol: 'itron-corus', timestamp: at(m), values: {}, exact_values: { volume_converted_m3: `24551.${378_912_340 + m}`, pressure_bar: '1.01325' }, states: { firmware_version: 'V5.1' }, sequence: ++seq, ...(recordType === null ? {} : { record_type: recordType }) });
    }
  }
  // the safety rig, as packages/modules/safety-rig shapes it (session.ts, records.ts): BMU nodes 1 and 2, PCS, Arduino
  for (let m = 20; m >= 1; m--) {
    const interlock = m > 8 ? 'normal' : m > 6 ? 'warning' : 'safe';
    for (const node of [1, 2]) {
      const cells = Object.fromEntries([1, 2, 3, 4].map((c) => [`cell_${c}_voltage_v`, 3.6 + c * 0.01 + node * 0.001 + (20 - m) * 0.002]));
      const voltages = Object.values(cells);
      out.push({ device_id: 'rig-1', protocol: 'safety-rig', channel: node, timestamp: at(m), values: { ...cells, min_cell_voltage_v: Math.min(...voltages), max_cell_voltage_v: Math.max(...voltages), module_voltage_v: voltages.reduce((a, b) => a + b, 0), temperature_1_c: 25 + (20 - m) * 0.5, min_temperature_c: 24, max_temperature_c: 25 + (20 - m) * 0.5 }, states: { source: 'bmu', interlock }, sequence: ++seq, record_type: 'rig:bmu' });
    }
    out.push({ device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(m), values: { dc_link_power_kw: m > 6 ? 5 : 0, dc_link_current_a: m > 6 ? 10 : 0, power_limit_inverter_kw: 30, battery_voltage_v: 400, status_word: 3 }, states: { source: 'pcs', interlock }, sequence: ++seq, record_type: 'rig:pcs' });
    out.push({ device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(m), values: { temperature_1_c: 24 + (20 - m) * 0.3, temperature_2_c: 23, pressure_pa: 101_325 }, states: { source: 'arduino', interlock }, sequence: ++seq, record_type: 'rig:arduino' });
  }
  // Corus interval log records every 5 minutes
  for (let m = 20; m >= 5; m -= 5) {
    for (const [device, recordType] of [['corus-1', 'meter_log:interval'], ['corus-legacy', null]] as const) {
      out.push({ device_id: device, protocol: 'itron-corus', timestamp: at(m), values: {}, exact_values: { consumption_interval_converted: `${12 + m}.345678901234567`, pressure_interval_average: '1.0132' }, states: { log: 'interval', device_time: at(m).toISOString().slice(0, 19) }, sequence: ++seq, ...(recordType === null ? {} : { record_type: recordType }) });
    }
  }
  return out;
}

const events = (): DeviceEventInput[] => [
  ...['arbin-1', 'maccor-1', 'psu-1', 'corus-1'].map((d, i): DeviceEventInput => ({ event_id: randomUUID(), device_id: d, protocol: d === 'psu-1' ? 'modbus' : d.startsWith('corus') ? 'itron-corus' : d === 'arbin-1' ? 'arbin-cti' : 'maccor-macnet', timestamp: at(25 - i), kind: 'CONNECTED' })),
  { event_id: randomUUID(), device_id: 'maccor-1', protocol: 'maccor-macnet', timestamp: at(4), kind: 'DISCONNECTED', reason: 'connection lost', error_code: 'BB_MACCOR_CONNECTION' },
  { event_id: randomUUID(), device_id: 'arbin-1', protocol: 'arbin-cti', channel: 1, timestamp: at(10), kind: 'STATE_CHANGE', previous_state: 'Charge', state: 'Rest', reason: 'channel 1 step changed', details: { transition: 'step-changed' } },
  // the safety rig's controller notices (packages/modules/safety-rig/src/records.ts noticeToEvent)
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(19), kind: 'STATE_CHANGE', state: 'action:pcs_setpoint', reason: 'rig.pcs_setpoint', details: { action: 'pcs_setpoint', mode: 'current', value: '10' } },
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(18), kind: 'STATE_CHANGE', state: 'action:outputs', reason: 'rig.set_outputs', details: { action: 'outputs', output_contactor: 'on', output_fan: 'on' } },
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', channel: 2, timestamp: at(8), kind: 'STATE_CHANGE', previous_state: 'normal', state: 'warning', reason: 'bmu:2 max_temperature_c 34 above warning 33', details: { rule: 'cell-temperature', input: 'bmu:2', quantity: 'max_temperature_c', value: '34', limit: '33', level: 'warning', stale: 'false', latched: 'false' } },
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', channel: 2, timestamp: at(6), kind: 'STATE_CHANGE', previous_state: 'warning', state: 'safe', reason: 'bmu:2 max_temperature_c 35 above limit 35', details: { rule: 'cell-temperature', input: 'bmu:2', quantity: 'max_temperature_c', value: '35', limit: '35', level: 'dangerous', stale: 'false', latched: 'true' } },
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(6), kind: 'STATE_CHANGE', state: 'action:pcs_off', reason: 'interlock: safe', details: { action: 'pcs_off' } },
  { event_id: randomUUID(), device_id: 'rig-1', protocol: 'safety-rig', timestamp: at(6), kind: 'FAULT', state: 'action:outputs', reason: 'interlock: safe: failed: Arduino did not answer', error_code: 'BB_RIG_ARDUINO_TIMEOUT', details: { action: 'outputs', output_contactor: 'off', output_fan: 'on' } },
];

beforeAll(async () => {
  env = await startPipelineEnv({ namespace: 'grafana-queries' });
  const cfg = historianConfigSchema.parse({ kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `grafana-queries-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token } }) as HistorianConfig;
  env.services.push(await startHistorian(cfg, { logger: noopLogger, metrics: noopMetrics }));
  const rs = readings();
  const evs = events();
  const results = [
    commandResultSerde.encode({ command_id: 'c-1', device_id: 'arbin-1', channel: 1, action: 'arbin.start', status: 'EXECUTED', timestamp: at(19), details: { vendor_code: 'CTI_START_SUCCESS' } }),
    commandResultSerde.encode({ command_id: 'c-2', device_id: 'psu-1', action: 'modbus.write', status: 'REJECTED', reason_code: 'BB_SAFETY_ABOVE_MAX', reason: 'voltage_setpoint_v = 99 is above 60', timestamp: at(8) }),
  ];
  const alerts = [
    alertSerde.encode({ alert_id: 'a-1', rule: 'psu-overtemp', device_id: 'psu-1', signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', value: 95, threshold: 80, timestamp: at(6), message: 'psu-1: temperature_c = 95 (bound 80)' }),
    alertSerde.encode({ alert_id: 'a-2', rule: 'corus-pressure', device_id: 'corus-1', signal: 'pressure_bar', severity: 'WARNING', state: 'FIRING', value: 1.2, threshold: 1.1, timestamp: at(12), message: 'corus-1: pressure_bar = 1.2 (bound 1.1)' }),
    alertSerde.encode({ alert_id: 'a-2', rule: 'corus-pressure', device_id: 'corus-1', signal: 'pressure_bar', severity: 'WARNING', state: 'RESOLVED', value: 1.0, threshold: 1.05, timestamp: at(9), message: 'corus-1: pressure_bar = 1.0, resolved' }),
    // firing, acknowledged (wall clock), resolved by a reading stamped before the ack (a device clock behind): not listed
    alertSerde.encode({ alert_id: 'a-4', rule: 'cell-temp', device_id: 'maccor-1', channel: 2, signal: 'temperature_c', severity: 'WARNING', state: 'FIRING', value: 47, threshold: 45, timestamp: at(20), message: 'maccor-1 channel 2: temperature_c = 47 (bound 45)' }),
    alertSerde.encode({ alert_id: 'a-4', rule: 'cell-temp', device_id: 'maccor-1', channel: 2, signal: 'temperature_c', severity: 'WARNING', state: 'RESOLVED', value: 40, threshold: 42, timestamp: at(17), message: 'maccor-1 channel 2: temperature_c = 40, resolved' }),
    alertSerde.encode({ alert_id: 'a-4', rule: 'cell-temp', device_id: 'maccor-1', channel: 2, signal: 'temperature_c', severity: 'WARNING', state: 'ACKNOWLEDGED', value: null, threshold: null, timestamp: at(16), message: 'ACKNOWLEDGED by bob: maccor-1 [channel 2] temperature_c (rule cell-temp)' }),
    // firing, then acknowledged: still listed
    alertSerde.encode({ alert_id: 'a-3', rule: 'cell-temp', device_id: 'arbin-1', channel: 1, signal: 'temperature_c', severity: 'WARNING', state: 'FIRING', value: 47, threshold: 45, timestamp: at(14), message: 'arbin-1 channel 1: temperature_c = 47 (bound 45)' }),
    alertSerde.encode({ alert_id: 'a-3', rule: 'cell-temp', device_id: 'arbin-1', channel: 1, signal: 'temperature_c', severity: 'WARNING', state: 'ACKNOWLEDGED', value: null, threshold: null, timestamp: at(11), message: 'ACKNOWLEDGED by alice: arbin-1 [channel 1] temperature_c (rule cell-temp)' }),
  ];
  await env.producer.sendBatch({
    topicMessages: [
      { topic: env.topics.readings, messages: rs.map((r) => ({ key: r.device_id, value: readingSerde.encode(r) })) },
      { topic: env.topics.deviceEvents, messages: evs.map((e) => ({ key: e.device_id, value: deviceEventSerde.encode(e) })) },
      { topic: env.topics.commandResults, messages: results.map((value) => ({ key: 'x', value })) },
      { topic: env.topics.alerts, messages: alerts.map((value) => ({ key: 'x', value })) },
    ],
  });
  await eventually(async () => {
    const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._field == "quality" or r._field == "text") |> group() |> count()`);
    return rows[0]?._value === rs.length + evs.length + results.length + alerts.length;
  }, 'every seeded record in InfluxDB', 60_000);
}, 240_000);

afterAll(() => env?.stop(), 120_000);

/** Grafana's time range variables, as a Flux record placed after the imports. */
function withGrafanaContext(flux: string, vars: Readonly<Record<string, string>>): string {
  const substituted = flux.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`variable ${name} not resolved`);
    return v;
  });
  const lines = substituted.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return [...imports, `v = { timeRangeStart: ${new Date(now - 60 * minute).toISOString()}, timeRangeStop: ${new Date(now + minute).toISOString()}, windowPeriod: 1m }`, ...body].join('\n');
}

describe('deploy > grafana > queries on a real InfluxDB with demo-like data', () => {
  for (const [name, d] of Object.entries(allDashboards())) {
    it(`${name}: template variables resolve, every panel and annotation query returns rows with its columns`, async () => {
      const vars: Record<string, string> = {};
      for (const v of d.templating?.list ?? []) {
        if (v.type === 'custom') vars[v.name] = env.influx.bucket;
        else if (v.type === 'query') {
          const rows = await env.influxQuery(withGrafanaContext(String(v.query), vars));
          const values = rows.map((r) => String(r._value));
          expect(values.length, `variable ${v.name} of ${name}`).toBeGreaterThan(0);
          vars[v.name] = v.includeAll ? String(v.allValue) : values[0]!;
          if (v.includeAll) expect(values).toContain('busbar-demo'); // the test variable offers the running test
        }
      }
      for (const p of d.panels ?? []) {
        const { title, targets } = p as unknown as { title: string; targets: { query: string }[] };
        const rows = await env.influxQuery(withGrafanaContext(targets[0]!.query, vars));
        expect(rows.length, `${name} / ${title}: no rows`).toBeGreaterThan(0);
        const columns = new Set(rows.flatMap((r) => Object.keys(r)));
        for (const c of EXPECTED_COLUMNS[d.uid!]![title]!) expect([...columns], `${name} / ${title}: column ${c}`).toContain(c);
      }
      for (const a of d.annotations?.list ?? []) {
        const rows = await env.influxQuery(withGrafanaContext((a.target as unknown as { query: string }).query, vars));
        expect(rows.length, `${name} / annotation ${a.name}`).toBeGreaterThan(0);
        for (const r of rows) expect(typeof r._value, `${name} / annotation ${a.name}: text`).toBe('string');
      }
    });
  }

  it('the fleet overview tells up from down and lists only firing alerts', async () => {
    const d = allDashboards()['fleet-overview']!;
    const q = (title: string): string => ((d.panels ?? []).find((p) => (p as { title: string }).title === title) as unknown as { targets: { query: string }[] }).targets[0]!.query;
    const vars = { bucket: env.influx.bucket };
    const conn = await env.influxQuery(withGrafanaContext(q('Devices: connection'), vars));
    expect(Object.fromEntries(conn.map((r) => [r.device, r.state]))).toEqual({ 'arbin-1': 'up', 'corus-1': 'up', 'maccor-1': 'down', 'psu-1': 'up' });
    const firing = await env.influxQuery(withGrafanaContext(q('Alerts firing'), vars));
    expect(firing.map((r) => [r.device, r.rule]).sort()).toEqual([['arbin-1', 'cell-temp'], ['psu-1', 'psu-overtemp']]); // acknowledged, still firing: listed
  });

  it('the rig view shows the interlock state, its transitions, the set-points and outputs the rig sent', async () => {
    const d = allDashboards().rig!;
    const q = (title: string): string => ((d.panels ?? []).find((p) => (p as { title: string }).title === title) as unknown as { targets: { query: string }[] }).targets[0]!.query;
    const vars = { bucket: env.influx.bucket, device: 'rig-1' };
    expect((await env.influxQuery(withGrafanaContext(q('Interlock state'), vars))).map((r) => r._value)).toEqual(['safe']);
    expect((await env.influxQuery(withGrafanaContext(q('Safety state changes'), vars))).map((r) => r.state)).toEqual(['safe', 'warning']);
    expect((await env.influxQuery(withGrafanaContext(q('PCS set-points'), vars))).map((r) => r.state)).toEqual(['action:pcs_off', 'action:pcs_setpoint']);
    const outputs = await env.influxQuery(withGrafanaContext(q('Arduino outputs'), vars));
    expect(outputs.map((r) => JSON.parse(String(r.details)).output_contactor)).toEqual(['off', 'on']);
    const annotations = Object.fromEntries(await Promise.all((d.annotations?.list ?? []).map(async (a) => [a.name, (await env.influxQuery(withGrafanaContext((a.target as unknown as { query: string }).query, vars))).length])));
    expect(annotations).toEqual({ 'Safety state': 2, 'Rig actions and faults': 4 });
    const cells = await env.influxQuery(withGrafanaContext(q('Cell voltages'), vars));
    expect(new Set(cells.map((r) => `${String(r.channel)}:${String(r._field)}`)).size).toBe(8); // 2 nodes × 4 cells
  });
});
