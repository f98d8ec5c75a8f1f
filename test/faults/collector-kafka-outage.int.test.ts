/**
 * Fault: the Kafka broker goes away while a collector polls. With store-and-forward the poll loop
 * never waits on Kafka: it keeps polling on schedule during the outage, the readings wait in the
 * durable buffer, `/healthz` says degraded, and after the broker is back every reading reaches Kafka
 * in order — none lost. Real Kafka (testkit, stopped and started on the same port), a real Modbus
 * TCP simulator, the collector in this process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer } from 'kafkajs';
import { noopLogger } from '@busbar/core';
import type { Counter, Gauge, Histogram, Labels, MetricSpec, Metrics } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { ensureTopics } from '@busbar/kafka';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { eventually } from '../support/recorder.js';
import { recordRow } from './support/report.js';

/** Counters summed by name + labels. */
class CountingMetrics implements Metrics {
  readonly sums = new Map<string, number>();
  counter(spec: MetricSpec): Counter {
    return { inc: (l?: Labels, v = 1) => void this.sums.set(`${spec.name}${JSON.stringify(l ?? {})}`, (this.sums.get(`${spec.name}${JSON.stringify(l ?? {})}`) ?? 0) + v) };
  }
  gauge(spec: MetricSpec): Gauge {
    return { set: (l: Labels | undefined, v: number) => void this.sums.set(`${spec.name}${JSON.stringify(l ?? {})}`, v), inc: () => undefined };
  }
  histogram(): Histogram {
    return { observe: () => undefined };
  }
  get(name: string, labels: Labels = {}): number {
    return this.sums.get(`${name}${JSON.stringify(labels)}`) ?? 0;
  }
}

const TOPIC = `faults.readings.${process.pid}.${Date.now()}`;
const POLL_MS = 100;
const DEVICES = ['psu-a', 'psu-b'];
let kafka: KafkaHandle;
let sim: PowerSupplySimulator;
let consumer: Consumer;
const seen = new Map<string, number[]>(); // device → sequence numbers in arrival order

beforeAll(async () => {
  [kafka, sim] = await Promise.all([startKafka(), startPowerSupplySimulator({ seed: 11, tickMs: 50 })]);
  const client = new Kafka({ clientId: 'faults-reader', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: TOPIC, numPartitions: 3 }]);
  await admin.disconnect();
  consumer = client.consumer({ groupId: `faults-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const r = readingSerde.decode(message.value!);
      seen.set(r.device_id, [...(seen.get(r.device_id) ?? []), Number(r.sequence)]);
    },
  });
}, 180_000);

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await sim?.close();
  await kafka?.dispose();
}, 60_000);

describe('faults > collector during a Kafka outage (store-and-forward)', () => {
  it('keeps polling on schedule while the broker is down and delivers every reading, in order, after it returns', async () => {
    const metrics = new CountingMetrics();
    const raw = collectorConfigSchema.parse({
      kafka: { brokers: kafka.brokers },
      topics: { readings: TOPIC },
      instanceId: `faults-${Date.now()}`,
      buffer: { path: join(mkdtempSync(join(tmpdir(), 'busbar-faults-')), 'buffer.sqlite'), degradedAfterMs: 1000 },
      devices: DEVICES.map((id) => ({ id, connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, pollIntervalMs: POLL_MS, timeoutMs: 500, map: { points: POWER_SUPPLY_MAP.points } })),
    });
    const collector = await startModbusCollector({ ...raw, devices: resolveModbusDevices(raw.devices!, '.') }, { logger: noopLogger, metrics });
    const polls = (): number => DEVICES.reduce((n, device) => n + metrics.get('busbar_device_polls_total', { device, outcome: 'ok' }), 0);
    try {
      await eventually(async () => (seen.get('psu-a')?.length ?? 0) > 5, 'readings flowing before the outage');

      await kafka.stop();
      const atStop = polls();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 8_000));
      const outageMs = Date.now() - t0;
      const duringOutage = polls() - atStop;
      // on schedule: each device polls every 100 ms; allow for timer jitter on a loaded machine, not for a stall
      expect(duringOutage).toBeGreaterThan(0.7 * (outageMs / POLL_MS) * DEVICES.length);
      expect(metrics.get('busbar_collector_buffer_records')).toBeGreaterThan(duringOutage * 0.8);
      expect(collector.health()).toMatchObject({ ok: true, degraded: [expect.stringMatching(/records buffered/)] });

      await kafka.start();
      const returnedAt = Date.now();
      await eventually(async () => metrics.get('busbar_collector_buffer_records') === 0, 'the buffer drained after the broker returned', 120_000);
      const recoveryS = (Date.now() - returnedAt) / 1000;
      await collector.stop();
      const polled = polls();
      await eventually(async () => DEVICES.reduce((n, d) => n + new Set(seen.get(d) ?? []).size, 0) >= polled, 'every polled reading in Kafka', 60_000);

      for (const device of DEVICES) {
        const seqs = seen.get(device)!;
        const distinct = [...new Set(seqs)];
        // in order within the device (its partition key); sequence numbers are per process, so a device's are increasing, not consecutive
        expect(distinct).toEqual([...distinct].sort((a, b) => a - b));
      }
      const delivered = DEVICES.reduce((n, d) => n + new Set(seen.get(d) ?? []).size, 0);
      expect(delivered).toBe(polled); // 0 lost
      expect(metrics.get('busbar_collector_buffer_dropped_total', { reason: 'bytes' }) + metrics.get('busbar_collector_buffer_dropped_total', { reason: 'age' })).toBe(0);
      const received = DEVICES.reduce((n, d) => n + (seen.get(d)?.length ?? 0), 0);
      recordRow({ scenario: `Kafka outage ${(outageMs / 1000).toFixed(0)} s under a polling collector`, produced: polled, stored: delivered, lost: polled - delivered, duplicated: received - delivered, recoveryS, notes: `${duringOutage} polls during the outage, buffered and forwarded in order` });
    } finally {
      await collector.stop().catch(() => undefined);
    }
  }, 300_000);
});
