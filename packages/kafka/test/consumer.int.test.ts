/**
 * `DecodingConsumer` on the run's real Kafka: the lag gauge follows the group's committed offsets
 * periodically (not only at batch boundaries), and the readiness check follows membership.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { Gauge, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { sharedKafka } from '@busbar/testkit/shared';
import { DecodingConsumer, PRODUCER_OPTIONS, createKafka, ensureTopics, watchProducer } from '../src/index.js';
import type { BatchControl } from '../src/index.js';

const json = { decode: (b: Buffer) => JSON.parse(b.toString('utf8')) as { n: number } };
const deadLetter = { topic: 'unused-dead-letter', encoder: { encode: () => Buffer.alloc(0) } };

/** Metrics that keep the last value of each gauge series. */
function gaugeMetrics(): { metrics: Metrics; value: (name: string, labels: Labels) => number | undefined } {
  const last = new Map<string, number>();
  const key = (name: string, labels?: Labels): string => `${name}${JSON.stringify(labels ?? {})}`;
  return {
    metrics: { ...noopMetrics, gauge: (spec: MetricSpec): Gauge => ({ set: (labels, v) => void last.set(key(spec.name, labels), v), inc: () => undefined }) },
    value: (name, labels) => last.get(key(name, labels)),
  };
}

const until = async (what: string, cond: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

let kafka: Kafka;
let producer: Producer;
let producerCheck: ReturnType<typeof watchProducer>;

beforeAll(async () => {
  const server = await sharedKafka();
  kafka = createKafka({ brokers: server.brokers, clientId: 'kafka-consumer-test' });
  producer = kafka.producer(PRODUCER_OPTIONS);
  producerCheck = watchProducer(producer);
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
}, 60_000);

describe('kafka > DecodingConsumer > lag and readiness', () => {
  it('reports the lag of a partition whose handler is stuck, from the committed offset, and 0 once it caught up', async () => {
    const topic = `kafka-consumer.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    await admin.disconnect();
    const g = gaugeMetrics();
    const lag = (): number | undefined => g.value('busbar_kafka_consumer_lag_records', { topic, partition: 0 });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let batches = 0;
    const consumer = new DecodingConsumer<{ n: number }>({
      kafka, producer, groupId: `kafka-consumer-${randomUUID().slice(0, 8)}`, topic, decoder: json, deadLetter, metrics: g.metrics, lagIntervalMs: 200,
      handle: async (_records, control) => {
        batches++;
        if (batches > 1) return;
        // the first batch is stuck (a sink that does not answer), heartbeating so the group keeps it
        let done = false;
        void released.then(() => (done = true));
        while (!done) {
          await new Promise((r) => setTimeout(r, 200));
          await control.heartbeat();
        }
      },
    });
    expect(consumer.readiness()).toMatchObject({ ok: false });
    await consumer.start();
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 0 }) }] });
      await until('the first batch is being handled', () => batches === 1);
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 9 }, (_, i) => ({ value: JSON.stringify({ n: i + 1 }) })) });
      // nothing committed yet: 10 records behind, although no batch ended since the first one began (it said 1)
      await until('lag 10 from the periodic update', () => lag() === 10);
      const ready = consumer.readiness();
      expect(ready.ok).toBe(true);
      expect(ready.reason).toContain(`partitions [0] of ${topic}`);
      expect(producerCheck()).toEqual({ ok: true });
      release();
      await until('lag 0 once everything is handled and committed', () => lag() === 0);
    } finally {
      release();
      await consumer.stop();
    }
    expect(consumer.readiness()).toMatchObject({ ok: false, reason: expect.stringContaining('not (yet) a member') });
  });

  it('hands a partition over to the other member of the group as soon as one stops (it leaves the group): reports the time', async () => {
    const topic = `kafka-consumer.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 2 }]);
    await admin.disconnect();
    const groupId = `kafka-consumer-${randomUUID().slice(0, 8)}`;
    const seen: { member: string; partition: number; n: number; atMs: number }[] = [];
    const member = (name: string): DecodingConsumer<{ n: number }> => new DecodingConsumer<{ n: number }>({
      kafka, producer, groupId, topic, decoder: json, deadLetter,
      handle: (records) => {
        for (const r of records) seen.push({ member: name, partition: r.partition, n: r.value.n, atMs: Date.now() });
        return Promise.resolve();
      },
    });
    const a = member('a');
    const b = member('b');
    await a.start();
    await b.start();
    try {
      await until('both members hold a partition', () => a.readiness().reason?.includes('partitions []') === false && b.readiness().reason?.includes('partitions []') === false && a.readiness().ok && b.readiness().ok);
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 1 }), partition: 0 }, { value: JSON.stringify({ n: 2 }), partition: 1 }] });
      await until('both records handled', () => seen.length === 2);
      const ofA = seen.find((x) => x.member === 'a')!.partition;
      const stopping = Date.now();
      await a.stop();
      const stopped = Date.now();
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 3 }), partition: ofA }] });
      await until('the other member handles the moved partition', () => seen.some((x) => x.n === 3));
      const taken = seen.find((x) => x.n === 3)!;
      expect(taken.member).toBe('b');
      console.info(`[figure] consumer hand-over on a clean stop: stop() ${stopped - stopping} ms, then ${taken.atMs - stopped} ms until the other member handled the next record of the moved partition (session timeout 10 s, heartbeat 1 s, fetch wait 1 s)`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('kafka > DecodingConsumer > commitLater', () => {
  it('commits an earlier batch after later ones were fetched without fetching anything again', async () => {
    const topic = `kafka-consumer.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    const groupId = `kafka-consumer-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const controls: { last: string; control: BatchControl }[] = [];
    const consumer = new DecodingConsumer<{ n: number }>({
      kafka, producer, groupId, topic, decoder: json, deadLetter,
      handle: (records, control) => {
        handled.push(...records.map((r) => r.offset));
        controls.push({ last: records[records.length - 1]!.offset, control });
        return Promise.resolve({ committed: true }); // held: committed later
      },
    });
    await consumer.start();
    const committed = async (): Promise<string | undefined> => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;
    try {
      await until('member', () => consumer.readiness().ok);
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 1 }) }, { value: JSON.stringify({ n: 2 }) }] });
      await until('first batch', () => handled.length === 2);
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 3 }) }] });
      await until('second batch', () => handled.length === 3);
      expect(await committed()).toBe('-1'); // nothing committed by the consumer
      await controls[0]!.control.commitLater(controls[0]!.last); // the first batch, now that the second was fetched
      expect(await committed()).toBe('2');
      await new Promise((r) => setTimeout(r, 2500)); // fetches start after the commit (fetch wait 1 s): from where?
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 4 }) }] });
      await until('third batch', () => handled.includes('3'));
      await new Promise((r) => setTimeout(r, 1500)); // more fetches: the position did not move back
      expect(handled).toEqual(['0', '1', '2', '3']);
      await controls[controls.length - 1]!.control.commitLater('3');
      expect(await committed()).toBe('4');
    } finally {
      await consumer.stop();
      await admin.disconnect();
    }
    // once stopped, a late commit fails clearly
    await expect(controls[0]!.control.commitLater('0')).rejects.toMatchObject({ code: 'BB_KAFKA_CONSUMER_STOPPED' });
  });
  it('with deferredCommits, a batch whose records all went to the dead-letter topic is handed over empty and not committed by the consumer', async () => {
    const topic = `kafka-consumer.${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    const groupId = `kafka-consumer-${randomUUID().slice(0, 8)}`;
    const batches: { offsets: string[]; next: string }[] = [];
    const consumer = new DecodingConsumer<{ n: number }>({
      kafka, producer, groupId, topic, decoder: json, deadLetter, deferredCommits: true,
      handle: (records, control) => {
        batches.push({ offsets: records.map((r) => r.offset), next: control.nextOffset.offset });
        return Promise.resolve({ committed: true });
      },
    });
    await consumer.start();
    const committed = async (): Promise<string | undefined> => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;
    try {
      await until('member', () => consumer.readiness().ok);
      await producer.send({ topic, acks: -1, messages: [{ value: JSON.stringify({ n: 1 }) }] });
      await until('first batch', () => batches.length === 1);
      await producer.send({ topic, acks: -1, messages: [{ value: 'not json' }] });
      await until('the dead-letter batch', () => batches.length === 2);
      expect(batches).toEqual([{ offsets: ['0'], next: '1' }, { offsets: [], next: '2' }]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await committed()).toBe('-1'); // the consumer committed neither
    } finally {
      await consumer.stop();
      await admin.disconnect();
    }
  });
});
