/**
 * The historian's pipeline on the run's real Kafka and InfluxDB: four partitions handled at once
 * under an in-flight byte budget far smaller than the batches (so batches wait for each other), many
 * small write requests per batch — every reading stored, every partition committed up to its end,
 * the budget waited for and given back.
 */
import { randomUUID } from 'node:crypto';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter, Gauge, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ReadingInput } from '@busbar/avro';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { createBucket, sharedKafka, uniqueTopics } from '@busbar/testkit/shared';
import type { InfluxBucket, SharedKafka } from '@busbar/testkit/shared';
import { historianConfigSchema, startHistorian } from '../src/index.js';
import type { HistorianConfig } from '../src/index.js';

/** Metrics that keep counter totals and gauge values by name. */
function recordingMetrics(): { metrics: Metrics; value: (name: string) => number; max: (name: string) => number } {
  const values = new Map<string, number>();
  const maxima = new Map<string, number>();
  const set = (name: string, v: number): void => {
    values.set(name, v);
    maxima.set(name, Math.max(maxima.get(name) ?? 0, v));
  };
  return {
    metrics: {
      ...noopMetrics,
      counter: (spec: MetricSpec): Counter => ({ inc: (_labels?: Labels, v = 1) => set(spec.name, (values.get(spec.name) ?? 0) + v) }),
      gauge: (spec: MetricSpec): Gauge => ({ ...noopMetrics.gauge(spec), set: (_labels: Labels | undefined, v: number) => set(spec.name, v) }),
    },
    value: (name) => values.get(name) ?? 0,
    max: (name) => maxima.get(name) ?? 0,
  };
}

let kafkaServer: SharedKafka;
let influx: InfluxBucket;
let historian: RunningService | undefined;
const run = randomUUID().slice(0, 8);
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('historian-pipeline', { readings: 'readings', deviceEvents: 'device-events', commandResults: 'command-results', alerts: 'alerts', deadLetter: 'dead-letter' }, run) };
const groupId = `historian-pipeline-${run}`;
const rec = recordingMetrics();
const BUDGET = 65_536;

beforeAll(async () => {
  [kafkaServer, influx] = await Promise.all([sharedKafka(), createBucket('historian-pipeline')]);
  const admin = new Kafka({ clientId: 'historian-pipeline', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 4 }, ...[topics.deviceEvents, topics.commandResults, topics.alerts, topics.deadLetter].map((topic) => ({ topic, numPartitions: 1 }))], waitForLeaders: true });
  await admin.disconnect();
  const cfg = historianConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId,
    influx: { url: influx.url, org: influx.org, bucket: influx.bucket, token: influx.token, batchLines: 40 },
    pipeline: { partitionsConcurrently: 4, inFlightBytes: BUDGET },
  }) as HistorianConfig;
  historian = await startHistorian(cfg, { logger: noopLogger, metrics: rec.metrics });
}, 180_000);

afterAll(async () => {
  await historian?.stop();
}, 60_000);

describe('historian > pipeline', () => {
  it('stores every reading of four partitions written at once under a small byte budget, and commits each partition to its end', async () => {
    const t0 = Date.UTC(2026, 11, 1, 0, 0, 0);
    const N = 4000;
    const values = Object.fromEntries(Array.from({ length: 18 }, (_, k) => [`value_${k}_v`, k + 0.5]));
    const readings: ReadingInput[] = Array.from({ length: N }, (_, i) => ({ device_id: `dev-${i % 40}`, protocol: 'modbus', record_type: 'modbus:power-supply', timestamp: new Date(t0 + i), values: { ...values, seq: i } }));
    const kafka = new Kafka({ clientId: 'historian-pipeline', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.readings, messages: readings.map((r) => ({ key: r.device_id, value: readingSerde.encode(r) })) });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topics.readings);
      expect(ends.filter((p) => Number(p.high) > 0).length).toBe(4); // every partition has readings
      const end = Date.now() + 90_000;
      let committed: { partition: number; offset: string }[] = [];
      while (Date.now() < end) {
        committed = (await admin.fetchOffsets({ groupId, topics: [topics.readings] }))[0]?.partitions ?? [];
        if (ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(Object.fromEntries(committed.map((c) => [c.partition, c.offset]))).toEqual(Object.fromEntries(ends.map((e) => [e.partition, e.high])));
    } finally {
      await admin.disconnect();
    }

    const rows = await new InfluxDB({ url: influx.url, token: influx.token })
      .getQueryApi(influx.org)
      .collectRows<{ _value: number }>(`from(bucket: "${influx.bucket}") |> range(start: 2026-12-01T00:00:00Z, stop: 2026-12-01T01:00:00Z) |> filter(fn: (r) => r._measurement == "modbus:power-supply" and r._field == "seq") |> group() |> keep(columns: ["_value"])`);
    expect(rows.map((r) => r._value).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(rec.value('busbar_historian_points_written_total')).toBe(N);
    // batches of ~1000 readings (~700 KiB of lines) cannot all fit in 64 KiB at once: they waited, and gave it all back
    expect(rec.value('busbar_historian_budget_waits_total')).toBeGreaterThan(0);
    expect(rec.max('busbar_historian_in_flight_bytes')).toBeGreaterThan(0);
    expect(rec.value('busbar_historian_in_flight_bytes')).toBe(0);
  });
});
