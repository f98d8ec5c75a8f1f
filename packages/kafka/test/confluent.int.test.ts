/**
 * The Confluent framing through @busbar/kafka with real Kafka and a real schema registry (Apicurio,
 * Confluent-compatible API): `createKafka` with `kafka.avro` makes publishers write `00` + schema id
 * and consumers read both framings; while the registry is down the records wait (nothing handled,
 * nothing dead-lettered, nothing committed) and flow once it is back, none lost.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { deadLetterSerde, readingSerde, type DeadLetter, type Reading, type ReadingInput } from '@busbar/avro';
import { startKafka, startSchemaRegistry } from '@busbar/testkit';
import type { KafkaHandle, SchemaRegistryHandle } from '@busbar/testkit';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, ensureTopics, kafkaConfigSchema, readTopicToEnd } from '../src/index.js';
import type { ConsumedRecord } from '../src/index.js';

let kafkaServer: KafkaHandle;
let registry: SchemaRegistryHandle;

beforeAll(async () => {
  [kafkaServer, registry] = await Promise.all([startKafka(), startSchemaRegistry()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([kafkaServer?.dispose(), registry?.dispose()]);
}, 60_000);

function counters(): { metrics: Metrics; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const metrics: Metrics = {
    ...noopMetrics,
    counter: (spec: MetricSpec): Counter => ({ inc: (_l?: Labels, v = 1) => void counts.set(spec.name, (counts.get(spec.name) ?? 0) + v) }),
  };
  return { metrics, counts };
}

const reading = (i: number): ReadingInput => ({ device_id: `psu-${i % 3}`, protocol: 'modbus', channel: null, timestamp: new Date(1_780_000_000_000 + i), values: { voltage_v: i / 10 } });

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

describe('kafka > Confluent framing (kafka.avro)', () => {
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;
  let dlq: string;

  beforeAll(async () => {
    const config = { ...kafkaConfigSchema.parse({ brokers: kafkaServer.brokers, avro: { framing: 'confluent', registry: { url: registry.url, timeoutMs: 1000 } } }), clientId: 'confluent-test' };
    kafka = createKafka(config);
    producer = kafka.producer(PRODUCER_OPTIONS);
    await producer.connect();
    topic = `busbar.readings.${randomUUID().slice(0, 8)}`;
    dlq = `busbar.dlq.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 2 }, { topic: dlq, numPartitions: 1 }]);
    await admin.disconnect();
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('publishes 00 + the subject id, and a consumer started while the registry is down waits, then reads all — mixed with single-object records', async () => {
    const pub = new RecordPublisher(producer, topic, readingSerde);
    await pub.publish(Array.from({ length: 10 }, (_, i) => ({ key: `psu-${i % 3}`, value: reading(i) })));
    const latest = (await (await fetch(`${registry.url}/subjects/${topic}-value/versions/latest`)).json()) as { id: number };
    const raw: Buffer[] = [];
    await readTopicToEnd({ kafka: createKafka({ brokers: kafkaServer.brokers, clientId: 'raw' }), topic, decoder: { decode: (b: Buffer) => b } }, (b) => raw.push(b));
    expect(raw).toHaveLength(10);
    for (const b of raw) expect([b[0], b.readInt32BE(1)]).toEqual([0x00, latest.id]);

    // a single-object producer of the same topic (a service not migrated yet)
    await producer.send({ topic, messages: [{ key: 'psu-9', value: readingSerde.encode(reading(100)) }] });

    await registry.stop();
    // the producer's id is known: it keeps publishing while the registry is down
    await pub.publish(Array.from({ length: 5 }, (_, i) => ({ key: `psu-${i % 3}`, value: reading(10 + i) })));

    const consumerKafka = createKafka({ ...kafkaConfigSchema.parse({ brokers: kafkaServer.brokers, avro: { registry: { url: registry.url, timeoutMs: 1000 } } }), clientId: 'confluent-consumer' });
    const { metrics, counts } = counters();
    const got: Reading[] = [];
    const groupId = `g-${randomUUID()}`;
    const consumer = new DecodingConsumer<Reading>({
      kafka: consumerKafka, producer, groupId, topic, decoder: readingSerde, deadLetter: { topic: dlq, encoder: deadLetterSerde }, metrics, maxRegistryRetryDelayMs: 1000,
      handle: async (records: ConsumedRecord<Reading>[]) => void got.push(...records.map((r) => r.value)),
    });
    await consumer.start();
    try {
      await until(() => (counts.get('busbar_kafka_registry_waits_total') ?? 0) >= 2, 30_000);
      expect(counts.get('busbar_kafka_registry_waits_total') ?? 0).toBeGreaterThanOrEqual(2);
      // batches holding Confluent records wait whole: none handled, none dead-lettered, none committed
      expect(got.filter((r) => r.device_id !== 'psu-9')).toHaveLength(0);
      expect(counts.get('busbar_kafka_dead_letters_total') ?? 0).toBe(0);
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      await admin.disconnect();
      // at most the lone single-object record (offset 0 of its partition) could have been committed
      expect((committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBeLessThanOrEqual(1);

      await registry.start();
      await until(() => got.length >= 16, 60_000);
    } finally {
      await consumer.stop();
    }
    expect(got.map((r) => r.values['voltage_v']).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([...Array.from({ length: 15 }, (_, i) => i / 10), 10]);
    expect(counts.get('busbar_kafka_dead_letters_total') ?? 0).toBe(0);
    const dead: DeadLetter[] = [];
    await readTopicToEnd({ kafka, topic: dlq, decoder: deadLetterSerde }, (d) => dead.push(d));
    expect(dead).toEqual([]);
  }, 150_000);

  it('dead-letters a record whose schema id the registry does not know (BB_AVRO_UNKNOWN_SCHEMA_ID) and reads on', async () => {
    const t = `busbar.readings.${randomUUID().slice(0, 8)}`;
    const d = `busbar.dlq.${randomUUID().slice(0, 8)}`;
    const pub = new RecordPublisher(producer, t, readingSerde);
    const unknown = Buffer.concat([Buffer.from([0x00, 0x7f, 0x00, 0x00, 0x01]), readingSerde.encodeBody(reading(1))]);
    await producer.send({ topic: t, messages: [{ key: 'x', value: unknown }] });
    await pub.publish([{ key: 'psu-2', value: reading(2) }]);
    const got: Reading[] = [];
    const consumer = new DecodingConsumer<Reading>({ kafka, producer, groupId: `g-${randomUUID()}`, topic: t, decoder: readingSerde, deadLetter: { topic: d, encoder: deadLetterSerde }, handle: async (rs) => void got.push(...rs.map((r) => r.value)) });
    await consumer.start();
    const dead: DeadLetter[] = [];
    try {
      await until(() => got.length >= 1, 30_000);
      // the two records may sit in different partitions: wait for the dead letter too
      for (let i = 0; i < 60 && dead.length === 0; i++) {
        await readTopicToEnd({ kafka, topic: d, decoder: deadLetterSerde }, (x) => dead.push(x));
        if (dead.length === 0) await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await consumer.stop();
    }
    expect(got.map((r) => r.values['voltage_v'])).toEqual([0.2]);
    expect(dead.map((x) => [x.error_code, x.payload.equals(unknown)])).toEqual([['BB_AVRO_UNKNOWN_SCHEMA_ID', true]]);
  }, 90_000);
});
