/**
 * The benchmark's floor: a raw line-protocol writer. Drains a topic whose values are ready-made
 * lines of line protocol into InfluxDB — no decoding, no mapping: each partition's batch is POSTed
 * as requests of `--lines` lines (keep-alive, no gzip), `--concurrency` partitions at once, the
 * offsets committed after InfluxDB acknowledged (as the historian does). Run by
 * scripts/bench-compare.ts; exits on SIGTERM.
 *
 *   node --import tsx scripts/bench-compare/raw-writer.ts --brokers 127.0.0.1:9092 --topic t --group g \
 *     --url http://127.0.0.1:8086 --org o --bucket b --token T [--lines 5000] [--concurrency 4]
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const { values: a } = parseArgs({
  options: {
    brokers: { type: 'string' },
    topic: { type: 'string' },
    group: { type: 'string' },
    url: { type: 'string' },
    org: { type: 'string' },
    bucket: { type: 'string' },
    token: { type: 'string' },
    lines: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const need = (name: keyof typeof a): string => {
  const v = a[name];
  if (typeof v !== 'string' || v === '') throw new Error(`raw-writer: --${name} is required`);
  return v;
};
const endpoint = new URL('/api/v2/write', need('url'));
endpoint.search = new URLSearchParams({ org: need('org'), bucket: need('bucket'), precision: 'ns' }).toString();
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const token = need('token');
const linesPerRequest = Number(a.lines);

function post(body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method: 'POST', agent, headers: { Authorization: `Token ${token}`, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`InfluxDB answered ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const kafka = new Kafka({ clientId: 'bench-raw-writer', brokers: need('brokers').split(','), logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: need('group'), maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 1000 });
await consumer.connect();
await consumer.subscribe({ topics: [need('topic')], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: Number(a.concurrency),
  eachBatch: async ({ batch }) => {
    const ms = batch.messages;
    if (ms.length === 0) return;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < ms.length; i += linesPerRequest) {
      const part = ms.slice(i, i + linesPerRequest).map((m) => m.value ?? Buffer.alloc(0));
      const body = Buffer.concat(part.flatMap((b, j) => (j === 0 ? [b] : [Buffer.from('\n'), b])));
      writes.push(post(body));
    }
    await Promise.all(writes);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(ms[ms.length - 1]!.offset) + 1n).toString() }]);
  },
});
process.once('SIGTERM', () => {
  void consumer.disconnect().finally(() => process.exit(0));
});
