/**
 * Kafka throughput of Readings in both framings, side by side, through real servers started by
 * @busbar/testkit (Kafka, and Apicurio Registry for the Confluent framing): a `RecordPublisher`
 * publishes N readings (batches of 100, several in flight), then a `DecodingConsumer` group reads
 * them back; each phase is timed from its first call to its last record. Bounded: N (default
 * 50 000, `BENCH_N`) records per framing, loopback only. Not an assertion:
 *
 *   npm run bench -w @busbar/kafka
 */
import { randomUUID } from 'node:crypto';
import { deadLetterSerde, readingSerde, type Reading, type ReadingInput } from '@busbar/avro';
import { startKafka, startSchemaRegistry } from '@busbar/testkit';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, ensureTopics } from '../src/index.js';
import type { KafkaConnectionConfig } from '../src/index.js';

const n = Number(process.env['BENCH_N'] ?? 50_000);
const batch = 100;
const reading = (i: number): ReadingInput => ({
  device_id: `arbin-${i % 20}`, protocol: 'arbin-cti', channel: (i % 8) + 1, timestamp: new Date(1_780_000_000_000 + i),
  values: { voltage_v: 3.6543, current_a: -1.25, power_w: -4.567, capacity_ah: 1.2345, energy_wh: 4.321, temperature_c: 25.1, time_s: i / 10 },
  states: { status: 'Charge', schedule_name: 'cc-cv.sdx', test_name: 'cell-042', step_name: 'CC charge' }, quality: 'GOOD', sequence: i,
});

async function run(name: string, config: KafkaConnectionConfig): Promise<void> {
  const kafka = createKafka(config);
  const topic = `bench.readings.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: 6 }, { topic: `${topic}.dlq`, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const pub = new RecordPublisher(producer, topic, readingSerde);
  await pub.publish([{ key: 'warm-up', value: reading(0) }]); // learns the schema id (confluent), connects
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < n; i += batch) {
    inFlight.push(pub.publish(Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ key: `arbin-${(i + j) % 20}`, value: reading(i + j) }))));
    if (inFlight.length >= 20) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const publishS = (performance.now() - t0) / 1000;

  let got = 0;
  let t1 = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const consumer = new DecodingConsumer<Reading>({
    kafka, producer, groupId: `bench-${randomUUID()}`, topic, decoder: readingSerde, deadLetter: { topic: `${topic}.dlq`, encoder: deadLetterSerde },
    handle: async (records) => {
      if (t1 === 0) t1 = performance.now();
      got += records.length;
      if (got >= n + 1) done();
    },
  });
  const tStart = performance.now();
  await consumer.start();
  await all;
  const consumeS = (performance.now() - tStart) / 1000;
  await consumer.stop();
  await producer.disconnect();
  console.log(`${name.padEnd(14)} publish ${Math.round(n / publishS).toLocaleString('en-US').padStart(8)} records/s (${publishS.toFixed(2)} s)   consume+decode ${Math.round(n / consumeS).toLocaleString('en-US').padStart(8)} records/s (${consumeS.toFixed(2)} s, including the group join)`);
}

const [kafkaServer, registry] = await Promise.all([startKafka(), startSchemaRegistry()]);
try {
  console.log(`${n} Readings per framing, 6 partitions, batches of ${batch}; node ${process.version}`);
  await run('single-object', { brokers: kafkaServer.brokers, clientId: 'bench' });
  await run('confluent', { brokers: kafkaServer.brokers, clientId: 'bench', avro: { framing: 'confluent', registry: { url: registry.url } } });
  await run('single-object', { brokers: kafkaServer.brokers, clientId: 'bench' });
  await run('confluent', { brokers: kafkaServer.brokers, clientId: 'bench', avro: { framing: 'confluent', registry: { url: registry.url } } });
} finally {
  await Promise.all([kafkaServer.dispose(), registry.dispose()]);
}
