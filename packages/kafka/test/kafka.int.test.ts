import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { Histogram, Labels, LogFields, Logger, MetricSpec, Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { sharedKafka } from '@busbar/testkit/shared';
import type { ConsumedRecord } from '../src/index.js';
import type { DeadLetterRecord } from '../src/serde.js';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, ensureTopics, readTopicToEnd } from '../src/index.js';

/** A value codec for the tests: JSON text; anything that is not an object with `n` does not decode. */
const json = {
  encode: (v: { n: number }) => Buffer.from(JSON.stringify(v)),
  decode: (b: Buffer) => {
    const v = JSON.parse(b.toString('utf8')) as { n?: unknown };
    if (typeof v.n !== 'number') throw Object.assign(new Error('no n'), { code: 'BB_TEST_NO_N', retriable: false });
    return v as { n: number };
  },
};
const deadLetterCodec = { encode: (d: DeadLetterRecord) => Buffer.from(JSON.stringify({ ...d, key: d.key?.toString() ?? null, payload: d.payload.toString('base64') })) };

/** Metrics that keep histogram observations, to see how requests were batched. */
function recordingMetrics(): { metrics: Metrics; observed: Map<string, number[]> } {
  const observed = new Map<string, number[]>();
  const metrics: Metrics = {
    ...noopMetrics,
    histogram: (spec: MetricSpec): Histogram => ({ observe: (_l: Labels | undefined, v: number) => observed.set(spec.name, [...(observed.get(spec.name) ?? []), v]) }),
  };
  return { metrics, observed };
}

let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  const server = await sharedKafka();
  kafka = createKafka({ brokers: server.brokers, clientId: 'kafka-pkg-test' });
  producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
}, 60_000);

async function topic(partitions = 1): Promise<string> {
  const name = `kafka-pkg.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: name, numPartitions: partitions }]);
  await admin.disconnect();
  return name;
}

describe('kafka > RecordPublisher', () => {
  it('coalesces what is published while a request is in flight (group commit) and resolves every caller', async () => {
    const t = await topic();
    const { metrics, observed } = recordingMetrics();
    const pub = new RecordPublisher(producer, t, json, metrics);
    await Promise.all(Array.from({ length: 50 }, (_, i) => pub.publish([{ key: `d${i % 3}`, value: { n: i } }])));
    const sizes = observed.get('busbar_kafka_publish_batch_records') ?? [];
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(50);
    expect(sizes.length).toBeLessThan(50); // fewer requests than calls
    const seen: number[] = [];
    await readTopicToEnd({ kafka, topic: t, decoder: json }, (v) => seen.push(v.n));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects a value the encoder refuses without sending anything of that call', async () => {
    const t = await topic();
    const pub = new RecordPublisher(producer, t, { encode: () => { throw new Error('BB_TEST invalid value'); } });
    await expect(pub.publish([{ key: 'k', value: { n: 1 } }])).rejects.toThrow('invalid value');
    expect(await readTopicToEnd({ kafka, topic: t, decoder: json }, () => undefined)).toBe(0);
  });
});

describe('kafka > DecodingConsumer', () => {
  it('dead-letters what does not decode, keeps going, and commits only after the handler', async () => {
    const t = await topic();
    const dlq = await topic();
    await producer.send({ topic: t, messages: [{ key: 'a', value: json.encode({ n: 1 }) }, { key: 'a', value: Buffer.from('garbage') }, { key: 'a', value: Buffer.from('{"m":1}') }, { key: 'a', value: json.encode({ n: 2 }) }] });
    const groupId = `g-${randomUUID()}`;
    const got: number[] = [];
    let failOnce = true;
    const consumer = new DecodingConsumer({
      kafka, producer, groupId, topic: t, decoder: json, deadLetter: { topic: dlq, encoder: deadLetterCodec },
      handle: async (records: ConsumedRecord<{ n: number }>[]) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('sink down'); // not committed: redelivered
        }
        got.push(...records.map((r) => r.value.n));
      },
    });
    await consumer.start();
    const end = Date.now() + 30_000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();
    expect(got).toEqual([1, 2]);
    const dead: { source_topic: string; offset: string; error_code: string; payload: string }[] = [];
    await readTopicToEnd({ kafka, topic: dlq, decoder: { decode: (b: Buffer) => JSON.parse(b.toString()) as (typeof dead)[number] } }, (d) => dead.push(d));
    // once, although the failed handler made the batch come back (JSON.parse's SyntaxError has no Busbar code)
    expect(dead.map((d) => [d.source_topic, d.offset, d.error_code, Buffer.from(d.payload, 'base64').toString()])).toEqual([
      [t, '1', 'BB_KAFKA_UNDECODABLE', 'garbage'],
      [t, '2', 'BB_TEST_NO_N', '{"m":1}'],
    ]);
    // the group's committed offset is past the last record: a new member of the group reads nothing
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [t] });
    await admin.disconnect();
    expect(offsets?.partitions[0]?.offset).toBe('4');
  });

  it('consumes more topics in the same group, each with its decoder, and commits each after the handler (moreTopics)', async () => {
    const [a, b, dlq] = [await topic(), await topic(2), await topic()];
    /** The second topic's codec: text `m=<n>`; anything else does not decode. */
    const text = { decode: (buf: Buffer) => { const m = /^m=(\d+)$/.exec(buf.toString()); if (!m) throw Object.assign(new Error('not m='), { code: 'BB_TEST_NOT_M', retriable: false }); return { n: -Number(m[1]) }; } };
    await producer.send({ topic: a, messages: [{ key: 'x', value: json.encode({ n: 1 }) }, { key: 'x', value: json.encode({ n: 2 }) }] });
    await producer.send({ topic: b, messages: [{ key: 'x', value: Buffer.from('m=3') }, { key: 'y', value: json.encode({ n: 4 }) }, { key: 'y', value: Buffer.from('m=5') }] });
    const groupId = `g-${randomUUID()}`;
    const got: [string, number][] = [];
    const consumer = new DecodingConsumer({
      kafka, producer, groupId, topic: a, decoder: json, moreTopics: [{ topic: b, decoder: text }], deadLetter: { topic: dlq, encoder: deadLetterCodec },
      handle: async (records: ConsumedRecord<{ n: number }>[]) => {
        got.push(...records.map((r): [string, number] => [r.topic, r.value.n]));
      },
    });
    await consumer.start();
    const end = Date.now() + 30_000;
    while (got.length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();
    // each topic decoded by its own decoder: json on a, m=<n> on b (json on b is a dead letter)
    expect(got.sort((x, y) => x[1] - y[1])).toEqual([[b, -5], [b, -3], [a, 1], [a, 2]]);
    const dead: { source_topic: string; error_code: string }[] = [];
    await readTopicToEnd({ kafka, topic: dlq, decoder: { decode: (buf: Buffer) => JSON.parse(buf.toString()) as (typeof dead)[number] } }, (d) => dead.push(d));
    expect(dead.map((d) => [d.source_topic, d.error_code])).toEqual([[b, 'BB_TEST_NOT_M']]);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [a, b] });
    await admin.disconnect();
    const sum = (t: string): number => offsets.find((o) => o.topic === t)!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    expect([sum(a), sum(b)]).toEqual([2, 3]);
  });
});

describe('kafka > readTopicToEnd', () => {
  it('reads every partition up to its end offsets at call time and returns 0 for a missing topic', async () => {
    const t = await topic(3);
    await producer.send({ topic: t, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: json.encode({ n: i }) })) });
    let sum = 0;
    expect(await readTopicToEnd({ kafka, topic: t, decoder: json }, (v) => (sum += v.n))).toBe(30);
    expect(sum).toBe(435);
    expect(await readTopicToEnd({ kafka, topic: `missing.${randomUUID()}`, decoder: json }, () => undefined)).toBe(0);
  });

  it('starts at the records timestamped at or after sinceMs, in every partition', async () => {
    const t = await topic(2);
    const now = Date.now();
    const old = (i: number) => ({ key: `k${i}`, value: json.encode({ n: i }), timestamp: String(now - 3_600_000 + i) });
    const fresh = (i: number) => ({ key: `k${i}`, value: json.encode({ n: 100 + i }), timestamp: String(now + i) });
    await producer.send({ topic: t, messages: [...Array.from({ length: 10 }, (_, i) => old(i)), ...Array.from({ length: 6 }, (_, i) => fresh(i))] });
    const got: number[] = [];
    expect(await readTopicToEnd({ kafka, topic: t, decoder: json, sinceMs: now - 60_000 }, (v) => got.push(v.n))).toBe(6);
    expect(got.sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105]);
    expect(await readTopicToEnd({ kafka, topic: t, decoder: json, sinceMs: now + 3_600_000 }, () => undefined)).toBe(0);
  });
});

describe('kafka > start-up on a topic just created', () => {
  /** A logger that keeps the fields of warnings. */
  function warnings(): { logger: Logger; seen: LogFields[] } {
    const seen: LogFields[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (f) => void seen.push(f), child: () => logger };
    return { logger, seen };
  }

  it('readTopicToEnd retries "not the leader for that topic-partition" instead of failing', async () => {
    // Another service creates topics without waiting for their leaders; fetching their offsets at once
    // makes the broker answer NOT_LEADER_OR_FOLLOWER, on which kafkajs' admin gives up at once.
    const creator = kafka.admin();
    await creator.connect();
    const { logger, seen } = warnings();
    try {
      for (let i = 0; i < 8; i++) {
        const name = `kafka-pkg.fresh.${randomUUID().slice(0, 8)}`;
        await creator.createTopics({ topics: [{ topic: name, numPartitions: 3 }], waitForLeaders: false });
        expect(await readTopicToEnd({ kafka, topic: name, decoder: json, logger }, () => undefined)).toBe(0);
      }
    } finally {
      await creator.disconnect();
    }
    // the broker did refuse at least once (each round refuses ~4 times in 5 on a fresh single broker)
    const retries = seen.filter((f) => typeof f['step'] === 'string' && String(f['step']).startsWith('read the offsets of'));
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.map((f) => f['kafkaError'])).toContain('NOT_LEADER_FOR_PARTITION');
  }, 120_000);
});
