/**
 * End to end on the real servers (Kafka and InfluxDB started by @busbar/testkit): the two cases of
 * issue 12 where v1 lost values (docs/data-model.md, "Identity"), written by the real historian and
 * read back from InfluxDB.
 * - Two Modbus device types: a power supply and a BMS map read by the real Modbus collector from the
 *   power-supply simulator; each lands in its own measurement with only its own fields.
 * - Corus log records of the interval and the hourly log that share a full-hour timestamp (the
 *   shape the Corus collector publishes: `states.log`, exact decimals), both without `record_type`
 *   (producers older than schema v2) and with it (`meter_log:<log>`): every value is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ReadingInput } from '@busbar/avro';
import { readingSerde } from '@busbar/avro';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import type { CollectorConfig } from '@busbar/collector-modbus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
let env: PipelineEnv;
let sim: PowerSupplySimulator;

/** A BMS register map over the simulator's input registers: other names, another kind of device. */
const BMS_MAP = {
  points: [
    { name: 'pack_voltage_v', type: 'input', address: 0, dataType: 'float32', unit: 'V' },
    { name: 'pack_current_a', type: 'input', address: 2, dataType: 'float32', unit: 'A' },
    { name: 'cell_temperature_max_c', type: 'input', address: 7, dataType: 'int16', scale: 0.1, unit: '°C' },
  ],
};

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'e2e-datamodel' }), startPowerSupplySimulator({ seed: 12, tickMs: 50 })]);
  const conn = { kind: 'tcp', host: '127.0.0.1', port: sim.port };
  const raw = collectorConfigSchema.parse({
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, instanceId: `e2e-datamodel-${env.run}`,
    devices: [
      { id: 'psu-1', connection: conn, pollIntervalMs: 200, timeoutMs: 500, map: { points: POWER_SUPPLY_MAP.points }, deviceClass: 'power-supply' },
      { id: 'bms-1', connection: conn, pollIntervalMs: 200, timeoutMs: 500, map: BMS_MAP, deviceClass: 'bms' },
    ],
  });
  const collectorCfg: CollectorConfig = { ...raw, devices: resolveModbusDevices(raw.devices!, '.') };
  const historianCfg = historianConfigSchema.parse({ kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `e2e-datamodel-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token } }) as HistorianConfig;
  env.services.push(await startHistorian(historianCfg, deps), await startModbusCollector(collectorCfg, deps));
}, 240_000);

afterAll(() => env?.stop(() => sim?.close()), 120_000);

/** Rows of one point (every field) as `{ field: value }`, with its tags. */
async function point(filter: string, at: Date, range = '-1h'): Promise<{ fields: Record<string, unknown>; tags: Record<string, unknown> }> {
  const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: ${range}) |> filter(fn: (r) => ${filter} and r._time == time(v: "${at.toISOString()}"))`);
  const fields = Object.fromEntries(rows.map((r) => [r._field as string, r._value]));
  const { _field, _value, _start, _stop, _time, result, table, ...tags } = rows[0] ?? {};
  void [_field, _value, _start, _stop, _time, result, table];
  return { fields, tags };
}

describe('e2e > data model v2', () => {
  it('two Modbus device types: each in its own measurement, with only its own fields, every value kept', async () => {
    const [psu] = await env.readings.waitFor((r) => r.device_id === 'psu-1');
    const [bms] = await env.readings.waitFor((r) => r.device_id === 'bms-1');
    expect(psu!.record_type).toBe('modbus:power-supply');
    expect(bms!.record_type).toBe('modbus:bms');
    let p = { fields: {} as Record<string, unknown>, tags: {} as Record<string, unknown> };
    let b = p;
    await eventually(async () => {
      p = await point('r._measurement == "modbus:power-supply" and r.device == "psu-1"', psu!.timestamp);
      b = await point('r._measurement == "modbus:bms" and r.device == "bms-1"', bms!.timestamp);
      return Object.keys(p.fields).length > 0 && Object.keys(b.fields).length > 0;
    }, 'both readings in InfluxDB', 30_000);
    expect(Object.keys(p.fields).sort()).toEqual([...Object.keys(psu!.values), 'quality'].sort());
    expect(Object.keys(b.fields).sort()).toEqual(['cell_temperature_max_c', 'pack_current_a', 'pack_voltage_v', 'quality']);
    for (const [name, v] of Object.entries(psu!.values)) expect(p.fields[name], name).toBeCloseTo(v, 6);
    for (const [name, v] of Object.entries(bms!.values)) expect(b.fields[name], name).toBeCloseTo(v, 6);
    expect(b.tags).toMatchObject({ _measurement: 'modbus:bms', device: 'bms-1', protocol: 'modbus' });
    // the measurements hold nothing of each other
    const crossed = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => (r._measurement == "modbus:bms" and r._field == "voltage_setpoint_v") or (r._measurement == "modbus:power-supply" and r._field == "pack_voltage_v"))`);
    expect(crossed).toEqual([]);
  });

  it('Corus interval and hourly log records at the same full hour: every value kept, with and without record_type', async () => {
    const hour = new Date(Date.UTC(2026, 1, 3, 14, 0, 0));
    /** 22 fields, 19 of which differ between the logs (the measurement), as exact decimals. */
    const log = (name: 'interval' | 'hourly', device: string, recordType: string | null): ReadingInput => {
      const exact: Record<string, string> = {};
      for (let i = 0; i < 22; i++) exact[`field_${String(i).padStart(2, '0')}_m3`] = i < 3 ? `${i}.5` : `${name === 'interval' ? 1000 + i : 24_000 + i}.${name === 'interval' ? '125' : '987654321'}`;
      exact.consumption_converted_m3 = name === 'interval' ? '12.345678901234567' : '49.876543210987654';
      return { device_id: device, protocol: 'itron-corus', timestamp: hour, values: {}, exact_values: exact, states: { log: name, device_time: '2026-02-03T14:00:00' }, sequence: name === 'interval' ? 1 : 2, ...(recordType === null ? {} : { record_type: recordType }) };
    };
    const records = [log('interval', 'corus-v1', null), log('hourly', 'corus-v1', null), log('interval', 'corus-v2', 'meter_log:interval'), log('hourly', 'corus-v2', 'meter_log:hourly')];
    await env.producer.send({ topic: env.topics.readings, messages: records.map((r) => ({ key: r.device_id, value: readingSerde.encode(r) })) });
    const range = '2026-02-03T13:00:00Z, stop: 2026-02-03T15:00:00Z';
    const filters = [
      'r._measurement == "itron-corus" and r.device == "corus-v1" and r.log == "interval"',
      'r._measurement == "itron-corus" and r.device == "corus-v1" and r.log == "hourly"',
      'r._measurement == "meter_log:interval" and r.device == "corus-v2"',
      'r._measurement == "meter_log:hourly" and r.device == "corus-v2"',
    ];
    let points: { fields: Record<string, unknown> }[] = [];
    await eventually(async () => {
      points = await Promise.all(filters.map((f) => point(f, hour, range)));
      return points.every((p) => Object.keys(p.fields).length === 2 * 23 + 2); // float + _exact per value, device_time, quality
    }, 'the four log records in InfluxDB', 30_000);
    records.forEach((r, i) => {
      for (const [name, text] of Object.entries(r.exact_values!)) {
        expect(points[i]!.fields[name], `${filters[i]} ${name}`).toBe(Number(text));
        expect(points[i]!.fields[`${name}_exact`], `${filters[i]} ${name}_exact`).toBe(text); // the digits a float cannot hold
      }
    });
  });
});
