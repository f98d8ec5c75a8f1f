/**
 * Correctness probes of kafkajs and @platformatic/kafka on a real broker (@busbar/testkit
 * `startKafka`), for the surfaces Busbar relies on. Observations, printed — not assertions: the
 * decision in docs/kafka-client.md quotes them. Bounded (about 2–3 minutes):
 *
 *   npm run probes:clients -w @busbar/kafka
 *
 * (a) idempotent producer across a broker restart (`KafkaHandle.restart()`, same port and data):
 *     polls of 10 records every 50 ms before, during and 15 s after the outage; counts acknowledged
 *     and failed sends, the error names, the time from the broker's return to the first
 *     acknowledged send, whether the last sends succeed (not wedged) and how many records the log holds.
 * (b) a transaction with the consumed offsets (kafkajs `sendOffsets`, platformatic `addConsumer` +
 *     `addOffset`): one aborted, then one committed; what a read-committed reader sees and the group's
 *     committed offset after each.
 * (c) a rebalance: two members of one group on 6 partitions, committing after each batch/record; one
 *     leaves cleanly, records produced afterwards must all reach the other; records lost and
 *     repeated are counted, and the time from the leave to the survivor's first record of a moved partition.
 * (d) the key → partition mapping of both clients' default partitioners against each other.
 * (`TimeoutNegativeWarning` per client is reported by clients.bench.ts: one process per client.)
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Consumer as KjsConsumer } from 'kafkajs';
import { Consumer, ProduceAcks, Producer, compatibilityPartitioner, defaultPartitioner } from '@platformatic/kafka';
import type { Message } from '@platformatic/kafka';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';

type Client = 'kafkajs' | 'platformatic';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errName = (e: unknown): string => {
  const err = e as { type?: string; name?: string; code?: string; errors?: unknown[]; cause?: unknown };
  const inner = Array.isArray(err.errors) && err.errors.length > 0 ? `(${errName(err.errors[0])})` : '';
  return `${err.type ?? err.code ?? err.name ?? 'Error'}${inner}`;
};
const retryDelay = (_c: unknown, _op: string, attempt: number): number => Math.min(200 * 2 ** attempt, 10_000);

function kjs(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 } });
}

async function createTopics(brokers: string[], topics: string[], partitions: number): Promise<void> {
  const admin = kjs(brokers).admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
}

/** Records per partition in the log (high watermarks). */
async function logCount(brokers: string[], topic: string): Promise<number> {
  const admin = kjs(brokers).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
}

/** Values a fresh group reads from `topic` until nothing new came for `idleMs` (read committed unless `uncommitted`). */
async function readAll(brokers: string[], topic: string, uncommitted = false, idleMs = 2500): Promise<string[]> {
  const consumer = kjs(brokers).consumer({ groupId: `probe-read-${randomUUID()}`, readUncommitted: uncommitted, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  let last = Date.now();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    last = Date.now();
  });
  await consumer.run({ eachMessage: async ({ message }) => {
    values.push(message.value?.toString() ?? '');
    last = Date.now();
  } });
  const started = Date.now();
  while ((!joined || Date.now() - last < idleMs) && Date.now() - started < 30_000) await sleep(100);
  await consumer.disconnect();
  return values;
}

async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<string> {
  const admin = kjs(brokers).admin();
  await admin.connect();
  const o = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return (o[0]?.partitions ?? []).map((p) => `${p.partition}:${p.offset}`).join(' ');
}

// ---------------------------------------------------------------- (a) idempotent producer, broker restart
async function probeRestart(kafka: KafkaHandle, client: Client): Promise<string> {
  const topic = `probe.restart.${client}.${randomUUID().slice(0, 8)}`;
  await createTopics(kafka.brokers, [topic], 3);
  let send: (values: string[]) => Promise<void>;
  let close: () => Promise<void>;
  if (client === 'kafkajs') {
    const p = kjs(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    send = async (values) => {
      await p.send({ topic, acks: -1, messages: values.map((v, i) => ({ key: `dev-${i}`, value: v })) });
    };
    close = () => p.disconnect();
  } else {
    const p = new Producer({ clientId: 'probe', bootstrapBrokers: kafka.brokers, idempotent: true, acks: ProduceAcks.ALL, retries: 8, retryDelay, partitioner: compatibilityPartitioner });
    send = async (values) => {
      await p.send({ messages: values.map((v, i) => ({ topic, key: Buffer.from(`dev-${i}`), value: Buffer.from(v) })) });
    };
    close = () => p.close(true);
  }
  let acked = 0;
  let failed = 0;
  const errors = new Map<string, number>();
  let backAt = 0;
  let firstAfterBack = -1;
  let stop = false;
  const outcomes: boolean[] = [];
  let seq = 0;
  const loop = (async () => {
    while (!stop) {
      const values = Array.from({ length: 10 }, () => `${client}-${seq++}`);
      try {
        await send(values);
        acked += values.length;
        outcomes.push(true);
        if (backAt > 0 && firstAfterBack < 0) firstAfterBack = Date.now() - backAt;
      } catch (e) {
        failed += values.length;
        outcomes.push(false);
        errors.set(errName(e), (errors.get(errName(e)) ?? 0) + 1);
      }
      await sleep(50);
    }
  })();
  await sleep(2000);
  const down = Date.now();
  await kafka.stop();
  await sleep(3000); // an outage of a few seconds, as in the fault suite
  await kafka.start();
  backAt = Date.now();
  const outageS = (backAt - down) / 1000;
  await sleep(15_000);
  stop = true;
  await loop;
  const last = outcomes.slice(-10);
  await close().catch(() => undefined);
  const inLog = await logCount(kafka.brokers, topic);
  return `(a) ${client.padEnd(12)} outage ${outageS.toFixed(1)} s; acknowledged ${acked}, failed ${failed} records; errors ${JSON.stringify(Object.fromEntries(errors))}; first acknowledged send ${firstAfterBack < 0 ? 'NEVER' : `${firstAfterBack} ms`} after the broker was back; last 10 sends ${last.filter(Boolean).length}/10 acknowledged${last.some(Boolean) ? '' : ' (WEDGED)'}; log holds ${inLog} records (${inLog - acked} beyond the acknowledged: retried sends whose first attempt was written, or failed sends written)`;
}

// ---------------------------------------------------------------- (b) transaction with offsets
async function probeTransaction(kafka: KafkaHandle, client: Client): Promise<string> {
  const id = randomUUID().slice(0, 8);
  const input = `probe.tx.in.${client}.${id}`;
  const output = `probe.tx.out.${client}.${id}`;
  const groupId = `probe-tx-${client}-${id}`;
  await createTopics(kafka.brokers, [input, output], 1);
  const filler = kjs(kafka.brokers).producer();
  await filler.connect();
  await filler.send({ topic: input, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `in-${i}` })) });
  await filler.disconnect();
  const steps: string[] = [];
  if (client === 'kafkajs') {
    const k = kjs(kafka.brokers);
    const producer = k.producer({ transactionalId: `probe-${id}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = k.consumer({ groupId, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    const got: { offset: string }[] = [];
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void got.push({ offset: message.offset }) });
    while (got.length < 10) await sleep(100);
    for (const [n, commit] of [[5, false], [10, true]] as const) {
      const txn = await producer.transaction();
      await txn.send({ topic: output, messages: Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `${commit ? 'committed' : 'aborted'}-${i}` })) });
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(n) }] }] });
      if (commit) await txn.commit();
      else await txn.abort();
      steps.push(`${commit ? 'commit' : 'abort'} (offset ${n}): read-committed sees ${(await readAll(kafka.brokers, output)).length}, group offset ${await committedOffsets(kafka.brokers, groupId, input)}`);
    }
    await consumer.disconnect();
    await producer.disconnect();
  } else {
    const producer = new Producer({ clientId: 'probe', bootstrapBrokers: kafka.brokers, transactionalId: `probe-${id}`, idempotent: true, acks: ProduceAcks.ALL });
    const consumer = new Consumer({ clientId: 'probe', bootstrapBrokers: kafka.brokers, groupId, maxWaitTime: 500 });
    const stream = await consumer.consume({ topics: [input], mode: 'earliest', autocommit: false });
    const got: Message[] = [];
    for await (const m of stream) {
      got.push(m);
      if (got.length >= 10) break;
    }
    for (const [n, commit] of [[5, false], [10, true]] as const) {
      const txn = await producer.beginTransaction();
      await txn.send({ messages: Array.from({ length: 5 }, (_, i) => ({ topic: output, key: Buffer.from('k'), value: Buffer.from(`${commit ? 'committed' : 'aborted'}-${i}`) })) });
      await txn.addConsumer(consumer);
      await txn.addOffset(got[n - 1] as Message);
      if (commit) await txn.commit();
      else await txn.abort();
      steps.push(`${commit ? 'commit' : 'abort'} (offset ${n}): read-committed sees ${(await readAll(kafka.brokers, output)).length}, group offset ${await committedOffsets(kafka.brokers, groupId, input)}`);
    }
    await stream.close().catch(() => undefined);
    await consumer.close(true);
    await producer.close();
  }
  const uncommitted = (await readAll(kafka.brokers, output, true)).length;
  return `(b) ${client.padEnd(12)} ${steps.join('; ')}; read-uncommitted sees ${uncommitted}`;
}

// ---------------------------------------------------------------- (c) rebalance
interface Member {
  readonly seen: { value: string; partition: number; at: number }[];
  leave(): Promise<void>;
  partitions(): number[];
}

async function kafkajsMember(brokers: string[], topic: string, groupId: string): Promise<Member> {
  const consumer: KjsConsumer = kjs(brokers).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 1000 });
  const seen: Member['seen'] = [];
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => (assigned = e.payload.memberAssignment[topic] ?? []));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) seen.push({ value: m.value?.toString() ?? '', partition: batch.partition, at: Date.now() });
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      resolveOffset(last.offset);
    },
  });
  return { seen, leave: () => consumer.disconnect(), partitions: () => assigned };
}

async function platformaticMember(brokers: string[], topic: string, groupId: string): Promise<Member> {
  const consumer = new Consumer({ clientId: 'probe', bootstrapBrokers: brokers, groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTime: 1000 });
  const seen: Member['seen'] = [];
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  let stopped = false;
  const loop = (async () => {
    for await (const m of stream) {
      seen.push({ value: m.value.toString(), partition: m.partition, at: Date.now() });
      await m.commit();
      if (stopped) break;
    }
  })().catch(() => undefined);
  return {
    seen,
    leave: async () => {
      stopped = true;
      await stream.close().catch(() => undefined);
      await consumer.close(true);
      await loop;
    },
    partitions: () => [...(consumer.assignments ?? [])].flatMap((a) => (a.topic === topic ? a.partitions : [])),
  };
}

async function probeRebalance(kafka: KafkaHandle, client: Client): Promise<string> {
  const id = randomUUID().slice(0, 8);
  const topic = `probe.rebalance.${client}.${id}`;
  const groupId = `probe-rebalance-${client}-${id}`;
  await createTopics(kafka.brokers, [topic], 6);
  const producer = kjs(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produce = async (from: number, count: number): Promise<void> => {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `dev-${(from + i) % 40}`, value: `r-${from + i}` })) });
  };
  const member = client === 'kafkajs' ? kafkajsMember : platformaticMember;
  const a = await member(kafka.brokers, topic, groupId);
  const b = await member(kafka.brokers, topic, groupId);
  await produce(0, 300);
  const t0 = Date.now();
  while (a.seen.length + b.seen.length < 300 && Date.now() - t0 < 30_000) await sleep(100);
  await sleep(1500); // commits of the last records
  const before = { a: a.partitions().join(','), b: b.partitions().join(','), aSeen: new Set(a.seen.map((s) => s.partition)).size, bSeen: new Set(b.seen.map((s) => s.partition)).size };
  const aPartitions = new Set(a.seen.map((s) => s.partition));
  const bCountBefore = b.seen.length;
  const leaveAt = Date.now();
  await a.leave();
  const leaveMs = Date.now() - leaveAt;
  await produce(300, 300);
  const t1 = Date.now();
  while (new Set(b.seen.slice(bCountBefore).map((s) => s.value)).size < 300 && Date.now() - t1 < 30_000) await sleep(100);
  await sleep(1000);
  const all = [...a.seen, ...b.seen].map((s) => s.value);
  const distinct = new Set(all);
  const lost = Array.from({ length: 600 }, (_, i) => `r-${i}`).filter((v) => !distinct.has(v)).length;
  const afterLeave = b.seen.slice(bCountBefore);
  const firstMoved = afterLeave.find((s) => aPartitions.has(s.partition));
  const replayed = afterLeave.filter((s) => Number(s.value.slice(2)) < 300).length;
  await b.leave();
  await producer.disconnect();
  return `(c) ${client.padEnd(12)} before the leave: A read ${before.aSeen} partitions, B ${before.bSeen}; A's leave took ${leaveMs} ms; B's first record of a moved partition ${firstMoved === undefined ? 'NEVER' : `${firstMoved.at - leaveAt} ms`} after the leave began; records lost ${lost} of 600, read twice ${all.length - distinct.size} (B re-read ${replayed} records from before the leave: committed offsets ${replayed === 0 ? 'respected' : 'NOT respected'})`;
}

// ---------------------------------------------------------------- (d) partitioners
function probePartitioners(): string {
  const kafkajsDefault = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  const keys = Array.from({ length: 1000 }, (_, i) => `device-${i}`);
  let sameDefault = 0;
  let sameCompat = 0;
  for (const key of keys) {
    const k = kafkajsDefault({ topic: 't', partitionMetadata, message: { key, value: null } });
    const message = { topic: 't', key: Buffer.from(key) };
    if (defaultPartitioner(message, Buffer.from(key)) % 6 === k) sameDefault++;
    if (compatibilityPartitioner(message, Buffer.from(key)) % 6 === k) sameCompat++;
  }
  return `(d) key → partition (1000 device ids, 6 partitions) equal to kafkajs' DefaultPartitioner: platformatic defaultPartitioner ${sameDefault}/1000, compatibilityPartitioner ${sameCompat}/1000`;
}

const kafka = await startKafka();
try {
  console.log(`@platformatic/kafka vs kafkajs probes on Kafka (testkit), node ${process.version}`);
  console.log(probePartitioners());
  for (const client of ['kafkajs', 'platformatic'] as const) console.log(await probeTransaction(kafka, client).catch((e: unknown) => `(b) ${client} FAILED: ${errName(e)} ${e instanceof Error ? e.message : String(e)}`));
  for (const client of ['kafkajs', 'platformatic'] as const) console.log(await probeRebalance(kafka, client).catch((e: unknown) => `(c) ${client} FAILED: ${errName(e)} ${e instanceof Error ? e.message : String(e)}`));
  for (const client of ['kafkajs', 'platformatic'] as const) console.log(await probeRestart(kafka, client).catch((e: unknown) => `(a) ${client} FAILED: ${errName(e)} ${e instanceof Error ? e.message : String(e)}`));
} finally {
  await kafka.dispose();
}
