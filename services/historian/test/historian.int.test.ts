import { randomUUID } from 'node:crypto';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ReadingInput } from '@busbar/avro';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS } from '@busbar/kafka';
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

let kafkaServer: SharedKafka;
let influx: InfluxBucket;
let historian: RunningService | undefined;
const run = randomUUID().slice(0, 8);
// every topic the historian consumes is this suite's own (readings, device events, command results, alerts)
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('historian-test', { readings: 'readings', deviceEvents: 'device-events', commandResults: 'command-results', alerts: 'alerts', deadLetter: 'dead-letter' }, run) };
const counting = countingMetrics();

beforeAll(async () => {
  [kafkaServer, influx] = await Promise.all([sharedKafka(), createBucket('historian-test')]);
  const admin = new Kafka({ clientId: 'historian-test', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [topics.readings, topics.deviceEvents, topics.commandResults, topics.alerts, topics.deadLetter].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  await admin.disconnect();
  const cfg = historianConfigSchema.parse({ kafka: { brokers: kafkaServer.brokers }, topics, groupId: `historian-test-${run}`, influx: { url: influx.url, org: influx.org, bucket: influx.bucket, token: influx.token } }) as HistorianConfig;
  historian = await startHistorian(cfg, { logger: noopLogger, metrics: counting.metrics });
}, 180_000);

afterAll(async () => {
  await historian?.stop();
}, 60_000);

describe('historian > InfluxDB refuses one point of a batch', () => {
  it('isolates and drops the refused point, stores every other reading of the batch, and counts it', async () => {
    const t0 = Date.UTC(2026, 10, 21, 6, 0, 0);
    const readings: ReadingInput[] = Array.from({ length: 9 }, (_, i) => ({ device_id: `d${i}`, protocol: 'modbus', timestamp: new Date(t0 + i), values: { voltage_v: i } }));
    // a series key longer than 64 KiB: InfluxDB answers 400 for the whole request it is in
    readings.splice(4, 0, { device_id: 'd'.repeat(70_000), protocol: 'modbus', timestamp: new Date(t0 + 100), values: { voltage_v: 99 } });
    const kafka = new Kafka({ clientId: 'historian-test', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.readings, messages: readings.map((r) => ({ key: 'same-partition', value: readingSerde.encode(r) })) });
    await producer.disconnect();
    const query = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
    const flux = `from(bucket: "${influx.bucket}") |> range(start: 2026-11-21T05:00:00Z, stop: 2026-11-21T07:00:00Z) |> filter(fn: (r) => r._field == "voltage_v") |> keep(columns: ["device", "_value"])`;
    let rows: Record<string, unknown>[] = [];
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      rows = await query.collectRows(flux);
      if (rows.length >= 9 && counting.count('busbar_historian_dropped_total', { reason: 'refused' }) === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(rows.map((r) => [r.device, r._value]).sort()).toEqual(Array.from({ length: 9 }, (_, i) => [`d${i}`, i]));
    expect(counting.count('busbar_historian_dropped_total', { reason: 'refused' })).toBe(1);
    expect(counting.count('busbar_historian_points_written_total')).toBe(9);
  });
});
