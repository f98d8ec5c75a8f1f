/** `CompactedTable` on the run's real Kafka: what it shows after start and after `catchUp`, tombstones, undecodable records. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { sharedKafka } from '@busbar/testkit/shared';
import { CompactedTable, PRODUCER_OPTIONS, createKafka, ensureTopics } from '../src/index.js';

let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  const server = await sharedKafka();
  kafka = createKafka({ brokers: server.brokers, clientId: 'kafka-table-test' });
  producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
}, 60_000);

describe('kafka > CompactedTable', () => {
  it('holds the latest value per key and partition: at start, and after catchUp for what was written since', async () => {
    const topic = `kafka-table.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 2, config: { 'cleanup.policy': 'compact' } }]);
    const [config] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false })).resources;
    await admin.disconnect();
    expect(config?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');

    await producer.send({ topic, acks: -1, messages: [
      { key: 'a', value: '1', partition: 0 },
      { key: 'b', value: '2', partition: 0 },
      { key: 'a', value: '3', partition: 0 }, // a newer value of a
      { key: 'c', value: 'not a number', partition: 1 }, // does not decode: skipped
      { key: 'd', value: '4', partition: 1 },
    ] });
    const table = new CompactedTable<number>({ kafka, topic, decode: (_k, v) => {
      const n = Number(v.toString('utf8'));
      if (!Number.isFinite(n)) throw new Error('not a number');
      return n;
    } });
    await table.start();
    try {
      expect(Object.fromEntries(table.entries(0))).toEqual({ a: 3, b: 2 });
      expect(Object.fromEntries(table.entries(1))).toEqual({ d: 4 });

      await producer.send({ topic, acks: -1, messages: [{ key: 'b', value: null, partition: 0 }, { key: 'e', value: '5', partition: 0 }] });
      await table.catchUp([0]);
      expect(Object.fromEntries(table.entries(0))).toEqual({ a: 3, e: 5 }); // b tombstoned
      await table.catchUp(); // every partition; nothing new in 1
      expect(Object.fromEntries(table.entries(1))).toEqual({ d: 4 });
      expect(table.entries(7).size).toBe(0);
    } finally {
      await table.stop();
    }
  });
});
