/**
 * The historian stores device events, command results and alerts (src/records.ts) on the real
 * Kafka and InfluxDB of the test run: one consumer group over the four topics, offsets committed
 * only after InfluxDB acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandResultInput, DeviceEventInput } from '@busbar/avro';
import { alertSerde, commandResultSerde, deviceEventSerde } from '@busbar/avro';
import type { RunningService } from '@busbar/runtime';
import { createBucket, sharedKafka, uniqueTopics } from '@busbar/testkit/shared';
import type { InfluxBucket, SharedKafka } from '@busbar/testkit/shared';
import { historianConfigSchema, startHistorian } from '../src/index.js';
import type { HistorianConfig } from '../src/index.js';

/** Metrics that keep counter totals by name and labels. */
function countingMetrics(): { metrics: Metrics; count: (name: string, labels?: Labels) => number } {
  const totals = new Map<string, number>();
  const key = (name: string, labels?: Labels): string => `${name}${JSON.stringify(labels ?? {})}`;
  return {
    metrics: { ...noopMetrics, counter: (spec: MetricSpec): Counter => ({ inc: (labels?: Labels, v = 1) => void totals.set(key(spec.name, labels), (totals.get(key(spec.name, labels)) ?? 0) + v) }) },
    count: (name, labels) => totals.get(key(name, labels)) ?? 0,
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let kafkaServer: SharedKafka;
let influx: InfluxBucket;
let admin: Admin;
const services: RunningService[] = [];
const run = randomUUID().slice(0, 8);
const topics = uniqueTopics('historian-records', { readings: 'readings', deviceEvents: 'device-events', commands: 'commands', deviceCommands: 'device-commands', commandResults: 'command-results', alerts: 'alerts', deadLetter: 'dead-letter' }, run);
const t0 = Date.UTC(2026, 10, 22, 8, 0, 0);

const events: DeviceEventInput[] = [
  { event_id: 'ev-1', device_id: 'arbin-1', protocol: 'arbin-cti', channel: 4, timestamp: new Date(t0), kind: 'FAULT', previous_state: 'Charge', state: 'Unsafe', reason: 'channel 4 fault: Unsafe', details: { transition: 'fault' } },
  // the same channel, kind and millisecond: a second point all the same
  { event_id: 'ev-2', device_id: 'arbin-1', protocol: 'arbin-cti', channel: 4, timestamp: new Date(t0), kind: 'FAULT', previous_state: 'Unsafe', state: 'Unsafe', reason: 'channel 4 fault again' },
  { event_id: 'ev-3', device_id: 'psu-1', protocol: 'modbus', timestamp: new Date(t0 + 1000), kind: 'DISCONNECTED', reason: 'connection lost', error_code: 'BB_MODBUS_CONNECTION' },
];
const results: CommandResultInput[] = [
  { command_id: 'cmd-1', device_id: 'arbin-1', channel: 1, action: 'arbin.start', status: 'ACCEPTED', timestamp: new Date(t0 + 2000) },
  { command_id: 'cmd-1', device_id: 'arbin-1', channel: 1, action: 'arbin.start', status: 'EXECUTED', timestamp: new Date(t0 + 2000), details: { vendor_code: 'CTI_START_SUCCESS' } },
  { command_id: 'cmd-2', device_id: 'psu-1', action: 'modbus.write', status: 'REJECTED', reason_code: 'BB_SAFETY_ABOVE_MAX', reason: 'voltage_setpoint_v = 99 is above 60', timestamp: new Date(t0 + 3000) },
];
const alerts: Parameters<typeof alertSerde.encode>[0][] = [
  { alert_id: 'al-1', rule: 'psu-overtemp', device_id: 'psu-1', signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', value: 95, threshold: 80, timestamp: new Date(t0 + 4000), message: 'psu-1: temperature_c = 95 (bound 80)' },
  { alert_id: 'al-1', rule: 'psu-overtemp', device_id: 'psu-1', signal: 'temperature_c', severity: 'CRITICAL', state: 'RESOLVED', value: 50, threshold: 60, timestamp: new Date(t0 + 9000), message: 'psu-1: temperature_c = 50, resolved' },
];

async function publish(): Promise<void> {
  const producer = new Kafka({ clientId: 'historian-records', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 }); // no duplicates from retried requests on a busy broker
  await producer.connect();
  await producer.sendBatch({
    topicMessages: [
      { topic: topics.deviceEvents, messages: events.map((e) => ({ key: e.device_id, value: deviceEventSerde.encode(e) })) },
      { topic: topics.commandResults, messages: results.map((r) => ({ key: r.device_id, value: commandResultSerde.encode(r) })) },
      { topic: topics.alerts, messages: alerts.map((a) => ({ key: a.device_id, value: alertSerde.encode(a) })) },
    ],
  });
  await producer.disconnect();
}

const recordTopics = (): string[] => [topics.deviceEvents, topics.commandResults, topics.alerts];

/** Committed offsets of `groupId`, summed per topic (a partition without a commit counts 0). */
async function committed(groupId: string): Promise<Record<string, number>> {
  const got = await admin.fetchOffsets({ groupId, topics: recordTopics() });
  return Object.fromEntries(got.map((t) => [t.topic, t.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0)]));
}

/** High watermarks summed per topic: what a group has committed once it has handled everything. */
async function ends(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of recordTopics()) out[t] = (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high), 0);
  return out;
}

function config(bucket: string, groupId: string): HistorianConfig {
  return historianConfigSchema.parse({ kafka: { brokers: kafkaServer.brokers }, topics, groupId, influx: { url: influx.url, org: influx.org, bucket, token: influx.token, retryInitialMs: 100, retryMaxMs: 500 } }) as HistorianConfig;
}

const rows = (bucket: string, flux: string): Promise<Record<string, unknown>[]> =>
  new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org).collectRows(`from(bucket: "${bucket}") |> range(start: 2026-11-22T07:00:00Z, stop: 2026-11-22T09:00:00Z) ${flux}`);

beforeAll(async () => {
  [kafkaServer, influx] = await Promise.all([sharedKafka(), createBucket('historian-records')]);
  admin = new Kafka({ clientId: 'historian-records', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await publish();
}, 180_000);

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  await admin?.disconnect();
}, 60_000);

describe('historian > records (device events, command results, alerts) on real Kafka and InfluxDB', () => {
  it('stores each as its own measurement with annotation text and tags; two events in one millisecond stay two points', async () => {
    services.push(await startHistorian(config(influx.bucket, `historian-records-${run}`), { logger: noopLogger, metrics: noopMetrics }));
    const got = await until('the 8 records in InfluxDB', async () => {
      const r = await rows(influx.bucket, '|> filter(fn: (r) => r._field == "text")');
      return r.length >= 8 ? r : undefined;
    });
    const byText = (a: unknown[], b: unknown[]): number => String(a[3]).localeCompare(String(b[3]));
    expect(got.map((r) => [r._measurement, r.device, r.channel ?? null, r._value]).sort(byText)).toEqual([
      ['device_event', 'arbin-1', '0004', 'FAULT Charge → Unsafe: channel 4 fault: Unsafe'],
      ['device_event', 'arbin-1', '0004', 'FAULT Unsafe → Unsafe: channel 4 fault again'],
      ['device_event', 'psu-1', null, 'DISCONNECTED: connection lost (BB_MODBUS_CONNECTION)'],
      ['command_result', 'arbin-1', '0001', 'arbin.start ACCEPTED'],
      ['command_result', 'arbin-1', '0001', 'arbin.start EXECUTED'],
      ['command_result', 'psu-1', null, 'modbus.write REJECTED: BB_SAFETY_ABOVE_MAX voltage_setpoint_v = 99 is above 60'],
      ['alert', 'psu-1', null, 'psu-1: temperature_c = 95 (bound 80)'],
      ['alert', 'psu-1', null, 'psu-1: temperature_c = 50, resolved'],
    ].sort(byText));
    // ev-1 and ev-2 share device, channel, kind and millisecond, and are two points
    const fault = got.filter((r) => r.kind === 'FAULT');
    expect(new Set(fault.map((r) => new Date(r._time as string).getTime()))).toEqual(new Set([t0]));
    expect(fault).toHaveLength(2);
    // tags for Grafana: filter by status, group by rule and state
    const rejected = await rows(influx.bucket, '|> filter(fn: (r) => r._measurement == "command_result" and r.status == "REJECTED" and r._field == "reason_code")');
    expect(rejected.map((r) => [r.device, r.action, r._value])).toEqual([['psu-1', 'modbus.write', 'BB_SAFETY_ABOVE_MAX']]);
    const firing = await rows(influx.bucket, '|> filter(fn: (r) => r._measurement == "alert" and r.rule == "psu-overtemp" and r.state == "FIRING") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")');
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ severity: 'CRITICAL', signal: 'temperature_c', value: 95, threshold: 80, alert_id: 'al-1' });
    const details = await rows(influx.bucket, '|> filter(fn: (r) => r._measurement == "command_result" and r.status == "EXECUTED" and r._field == "details")');
    expect(JSON.parse(details[0]!._value as string)).toEqual({ vendor_code: 'CTI_START_SUCCESS' });
  });

  it('commits the records of the three topics only after InfluxDB acknowledged them (one group: the historian\'s)', async () => {
    const bucket = `historian-records-late-${run}`;
    const groupId = `historian-records-late-${run}`;
    const counting = countingMetrics();
    services.push(await startHistorian(config(bucket, groupId), { logger: noopLogger, metrics: counting.metrics }));
    // the bucket does not exist yet: InfluxDB answers 404, the batches are retried, nothing is committed
    await until('failed writes', async () => (counting.count('busbar_historian_write_errors_total', { status: '404' }) >= 6 ? true : undefined));
    expect(await committed(groupId)).toEqual({ [topics.deviceEvents]: 0, [topics.commandResults]: 0, [topics.alerts]: 0 });
    const res = await fetch(`${influx.url}/api/v2/buckets`, { method: 'POST', headers: { authorization: `Token ${influx.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ orgID: influx.orgId, name: bucket, retentionRules: [] }) });
    expect(res.status).toBe(201);
    const end = await ends();
    expect(end).toEqual({ [topics.deviceEvents]: events.length, [topics.commandResults]: results.length, [topics.alerts]: alerts.length }); // idempotent producer: each once
    await until('every offset committed', async () => {
      const c = await committed(groupId);
      return JSON.stringify(c) === JSON.stringify(end) ? c : undefined;
    });
    const stored = await rows(bucket, '|> filter(fn: (r) => r._field == "text") |> group() |> count()');
    expect(stored[0]?._value).toBe(8);
  });
});
