/**
 * The healing producer on a real broker. The wedge itself (a kafkajs idempotent producer answered
 * OUT_OF_ORDER_SEQUENCE_NUMBER for ever after a broker restart, seen in the fault suite) cannot be
 * produced on demand — a broker of this version accepts any sequence from a producer id it has
 * forgotten — so the first underlying producer is made to fail every send with the error kafkajs
 * raises then; everything else (the replacement's new producer id, delivery, listeners) is real.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { sharedKafka } from '@busbar/testkit/shared';
import { PRODUCER_OPTIONS, createKafka, ensureTopics, watchProducer } from '../src/index.js';
import { healingProducer } from '../src/healing-producer.js';

const kafkaServer = await sharedKafka();
const kafka = createKafka({ clientId: 'healing-test', brokers: kafkaServer.brokers });
const topic = `healing-${randomUUID()}`;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
  await admin.disconnect();
});

/** Every value of the one-partition `t`, up to its high watermark. */
async function readAll(t: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const high = Number((await admin.fetchTopicOffsets(t))[0]!.high);
  await admin.disconnect();
  const values: string[] = [];
  const consumer = kafka.consumer({ groupId: `healing-read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: t, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => {
      values.push(message.value?.toString('utf8') ?? '');
      if (Number(message.offset) + 1 >= high) resolve();
    } });
  });
  await consumer.disconnect();
  return values;
}

function countingMetrics(): { metrics: Metrics; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return { counts, metrics: { ...noopMetrics, counter: (spec: MetricSpec): Counter => ({ inc: (l?: Labels, v = 1) => counts.set(`${spec.name}${JSON.stringify(l ?? {})}`, (counts.get(`${spec.name}${JSON.stringify(l ?? {})}`) ?? 0) + v) }) } };
}

/** A real producer whose sends all fail as a wedged kafkajs idempotent producer's do (the n-th call after `n × staggerMs`). */
function wedged(p: Producer, staggerMs = 0): Producer {
  let calls = 0;
  // as kafkajs' retrier rejects a non-retriable protocol error (src/retry/index.js): wrapped, the error as its cause
  const fail = (): Promise<never> => {
    const e = new KafkaJSProtocolError({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false, message: 'The broker received an out of order sequence number' } as never);
    const wrapped = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(e, { cause: e });
    const delayMs = calls++ * staggerMs;
    return delayMs === 0 ? Promise.reject(wrapped) : new Promise<never>((_, reject) => setTimeout(() => reject(wrapped), delayMs));
  };
  return Object.assign(p, { send: fail, sendBatch: fail });
}

describe('kafka > healing producer (integration, real broker)', () => {
  it('replaces a producer whose sequence numbers the broker refuses, sends the refused request once on the new one, and keeps the listeners', async () => {
    const made: Producer[] = [];
    const { metrics, counts } = countingMetrics();
    const producer = healingProducer(() => {
      const p = kafka.producer(PRODUCER_OPTIONS);
      made.push(made.length === 0 ? wedged(p) : p);
      return made[made.length - 1]!;
    }, { name: 'results', metrics });
    const ready = watchProducer(producer);
    let connects = 0;
    producer.on(producer.events.CONNECT, () => connects++);
    await producer.connect();
    expect(ready().ok).toBe(true);

    await producer.send({ topic, acks: -1, messages: [{ key: 'd', value: 'one' }] });
    await producer.send({ topic, acks: -1, messages: [{ key: 'd', value: 'two' }] });

    expect(made).toHaveLength(2); // one replacement, not one per send
    expect(counts.get('busbar_kafka_producer_replaced_total{"producer":"results","reason":"OUT_OF_ORDER_SEQUENCE_NUMBER"}')).toBe(1);
    expect(connects).toBe(2); // the listener followed the producer to its replacement
    expect(ready().ok).toBe(true);
    expect(await readAll(topic)).toEqual(['one', 'two']); // the refused send went out once
    await producer.disconnect();
    expect(ready().ok).toBe(false);
  }, 60_000);

  it('lets other errors through without replacing the producer', async () => {
    const made: Producer[] = [];
    const producer = healingProducer(() => {
      const p = kafka.producer(PRODUCER_OPTIONS);
      made.push(p);
      return p;
    }, { name: 'dead-letters' });
    await producer.connect();
    await expect(producer.send({ topic: 'not a valid topic name!', acks: -1, messages: [{ value: 'x' }] })).rejects.toThrow();
    expect(made).toHaveLength(1);
    await producer.disconnect();
  }, 60_000);
  it('two sends in flight when the state is lost: one replacement, both sent on it, the replacement not disconnected under them', async () => {
    const made: Producer[] = [];
    const { metrics, counts } = countingMetrics();
    const producer = healingProducer(() => {
      const p = kafka.producer(PRODUCER_OPTIONS);
      made.push(made.length === 0 ? wedged(p, 50) : p); // the second send's error comes 50 ms after the first's
      return made[made.length - 1]!;
    }, { name: 'results', metrics });
    const ready = watchProducer(producer);
    await producer.connect();
    const t = `${topic}-concurrent`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: t, numPartitions: 1 }]);
    await admin.disconnect();
    await Promise.all([
      producer.send({ topic: t, acks: -1, messages: [{ key: 'd', value: 'a' }] }),
      producer.send({ topic: t, acks: -1, messages: [{ key: 'd', value: 'b' }] }),
    ]);
    expect(made).toHaveLength(2);
    expect(counts.get('busbar_kafka_producer_replaced_total{"producer":"results","reason":"OUT_OF_ORDER_SEQUENCE_NUMBER"}')).toBe(1);
    await new Promise((r) => setTimeout(r, 200)); // the old producer's disconnect (after its calls settled) does not reach the wrapper's readiness
    expect(ready().ok).toBe(true);
    expect((await readAll(t)).sort()).toEqual(['a', 'b']);
    await producer.disconnect();
  }, 60_000);
});
