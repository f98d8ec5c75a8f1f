import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from '../src/index.js';
import type { KafkaHandle } from '../src/index.js';

/** Calls `fn` again (every 200 ms, up to 30 s) while it fails with an error Kafka marks retriable. */
async function whileRetriable<T>(fn: () => Promise<T>): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { retriable?: unknown }).retriable !== true || Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('Testkit > Kafka', () => {
  let kafka: KafkaHandle;
  beforeAll(async () => {
    kafka = await startKafka();
  });
  afterAll(async () => {
    await kafka?.dispose();
  });

  const client = (): Kafka => new Kafka({ clientId: 'testkit-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING });

  async function consume(consumer: Consumer, topic: string, n: number): Promise<EachMessagePayload[]> {
    const got: EachMessagePayload[] = [];
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length}/${n} messages in 30 s`)), 30_000);
      void consumer.run({
        autoCommit: false,
        eachMessage: async (p) => {
          got.push(p);
          await consumer.commitOffsets([{ topic: p.topic, partition: p.partition, offset: (BigInt(p.message.offset) + 1n).toString() }]);
          if (got.length === n) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return got;
  }

  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(kafka.brokers).toHaveLength(1);
    expect(kafka.brokers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(kafka.running()).toBe(true);
  });

  it('round-trips records through a consumer group and keeps committed offsets across a restart', async () => {
    const topic = `testkit-${randomBytes(4).toString('hex')}`;
    const groupId = `group-${topic}`;
    const k = client();
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = k.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'dev-1', value: 'a' }, { key: 'dev-2', value: 'b' }, { key: 'dev-3', value: 'c' }] });
    await producer.disconnect();

    const consumer = k.consumer({ groupId });
    await consumer.connect();
    const got = await consume(consumer, topic, 3);
    await consumer.disconnect();
    expect(got.map((p) => p.message.value?.toString()).sort()).toEqual(['a', 'b', 'c']);
    expect(got.map((p) => p.message.key?.toString()).sort()).toEqual(['dev-1', 'dev-2', 'dev-3']);

    const committed = async (): Promise<number> => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    expect(await committed()).toBe(3);
    await admin.disconnect();

    await kafka.restart();
    expect(kafka.running()).toBe(true);

    const k2 = client();
    const admin2 = k2.admin();
    await admin2.connect();
    // just restarted: the group coordinator answers "loading" (retriable) until it has read its partition back
    const [t] = await whileRetriable(() => admin2.fetchOffsets({ groupId, topics: [topic] }));
    expect((t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(3);
    await admin2.disconnect();

    // The same group resumes after its committed offsets: only the new record is delivered.
    const producer2 = k2.producer();
    await producer2.connect();
    await producer2.send({ topic, messages: [{ key: 'dev-1', value: 'd' }] });
    await producer2.disconnect();
    const consumer2 = k2.consumer({ groupId });
    await consumer2.connect();
    const again = await consume(consumer2, topic, 1);
    await consumer2.disconnect();
    expect(again.map((p) => p.message.value?.toString())).toEqual(['d']);
  });

  it('auto-creates topics with 3 partitions', async () => {
    const topic = `auto-${randomBytes(4).toString('hex')}`;
    const k = client();
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x' }] });
    await producer.disconnect();
    const admin = k.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });
});

describe('Testkit > Kafka > dispose', () => {
  it('await using stops the broker and removes its directory', async () => {
    const seen: string[] = [];
    {
      await using k = await startKafka();
      seen.push(k.dir);
      expect(existsSync(k.dir)).toBe(true);
      expect(k.running()).toBe(true);
    }
    expect(seen).toHaveLength(1);
    expect(existsSync(seen[0] ?? '')).toBe(false);
  });
});
