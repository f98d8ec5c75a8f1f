import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { sharedKafka } from '@busbar/testkit/shared';
import { createKafka, ensureTopics } from '../src/index.js';
import { createPlatformaticProducer } from '../src/platformatic.js';
import type { EncodedRecord, PlatformaticProducer } from '../src/platformatic.js';

let brokers: string[];
let kafka: Kafka;

beforeAll(async () => {
  brokers = (await sharedKafka()).brokers;
  kafka = createKafka({ brokers, clientId: 'platformatic-adapter-test' });
}, 120_000);

/** Every record of `topic` (read by kafkajs, read committed), in partition order. */
async function readBack(topic: string, count: number): Promise<{ key: string; value: string; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: `platformatic-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const got: { key: string; value: string; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message, partition }) => void got.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition }) });
  const started = Date.now();
  while (got.length < count && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return got;
}

describe('createPlatformaticProducer (experimental @platformatic/kafka producer)', () => {
  let producer: PlatformaticProducer;
  afterAll(async () => {
    await producer?.close();
  });

  it('writes records of two topics in one send, each key on the partition kafkajs would choose, in order per key', async () => {
    const readings = `platformatic.readings.${randomUUID().slice(0, 8)}`;
    const events = `platformatic.events.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: readings, numPartitions: 6 }, { topic: events, numPartitions: 3 }]);
    await admin.disconnect();
    producer = createPlatformaticProducer({ brokers, clientId: 'platformatic-adapter-test' });

    const records: EncodedRecord[] = [];
    for (let i = 0; i < 300; i++) records.push({ topic: i % 5 === 0 ? events : readings, key: `device-${i % 40}`, value: Buffer.from(`${i}`) });
    await producer.send(records.slice(0, 150));
    await producer.send(records.slice(150));
    await producer.send([]);

    const partitioner = Partitioners.DefaultPartitioner();
    for (const [topic, partitions] of [[readings, 6], [events, 3]] as const) {
      const sent = records.filter((r) => r.topic === topic);
      const got = await readBack(topic, sent.length);
      expect(got).toHaveLength(sent.length);
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
      for (const g of got) expect(g.partition).toBe(partitioner({ topic, partitionMetadata, message: { key: g.key, value: null } }));
      // the keys spread over several partitions (not all on one)
      expect(new Set(got.map((g) => g.partition)).size).toBeGreaterThan(1);
      // order per key as sent
      for (const key of new Set(sent.map((r) => r.key))) {
        expect(got.filter((g) => g.key === key).map((g) => g.value)).toEqual(sent.filter((r) => r.key === key).map((r) => r.value.toString()));
      }
    }
  }, 90_000);

  it('rejects a send when no broker answers, after its retries', async () => {
    // a port that was free a moment ago: nothing listens there
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const lonely = createPlatformaticProducer({ brokers: [`127.0.0.1:${port}`], clientId: 'platformatic-adapter-test', connectionTimeoutMs: 500 }, { retries: 2 }); // 1 or 0 would mean unlimited for an idempotent producer (see PlatformaticProducerOptions.retries)
    try {
      await expect(lonely.send([{ topic: 'nowhere', key: 'k', value: Buffer.from('v') }])).rejects.toThrow();
    } finally {
      await lonely.close();
    }
  }, 30_000);
});
