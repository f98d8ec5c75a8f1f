/**
 * One measured run of one Kafka client library, in a process of its own so that its CPU time and
 * peak RSS are the client's (plus bare Node's, measured by the `none` run). Started by
 * `clients.bench.ts` with plain `node` — plain JavaScript, so no transpiler or type stripper sits in
 * the process — with one JSON argument (`WorkerArgs` there); prints one JSON line (`WorkerResult`).
 * Only the library measured is loaded.
 *
 * The records are already Avro-encoded Readings (single-object encoding, made by the orchestrator),
 * cycled from a small file of templates.
 *
 * - `produce`: polls of `pollSize` records keyed by device id, up to `pollsInFlight` polls waiting;
 *   group commit as `RecordPublisher` does it (one produce request in flight, everything that waited
 *   meanwhile leaves in the next one); idempotent producer, acks = all.
 * - `consume`: a new consumer group drains `n` records of a pre-filled topic from the earliest
 *   offset; offsets committed manually after each batch (kafkajs: each `eachBatch`, as
 *   `DecodingConsumer` does; platformatic has no batches: what the stream had buffered, at most
 *   `commitEvery` records — read with `'data'` events, or with `for await` when
 *   `platformaticRead` is `iterator`).
 * - `none`: Node alone, for the baseline RSS.
 */
/* global console */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate } from 'node:timers';

/** @type {import('./clients.bench.ts').WorkerArgs} */
const args = JSON.parse(process.argv[2] ?? '{}');
/** @type {string[]} */
const warnings = [];
process.on('warning', (w) => warnings.push(w.name));

/** @typedef {{ key: Buffer, value: Buffer }} Msg */
/** @type {Msg[]} */
const templates =
  args.phase === 'produce'
    ? JSON.parse(readFileSync(args.templates, 'utf8')).map((/** @type {{ key: string, value: string }} */ t) => ({ key: Buffer.from(t.key), value: Buffer.from(t.value, 'base64') }))
    : [];

/**
 * Group commit: `send` gets everything waiting; one request in flight.
 * @param {(messages: Msg[]) => Promise<void>} send
 * @returns {(poll: Msg[]) => Promise<void>}
 */
function groupCommit(send) {
  /** @type {{ messages: Msg[], resolve: () => void, reject: (e: unknown) => void }[]} */
  let waiting = [];
  let sending = false;
  const drain = async () => {
    sending = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await send(batch.flatMap((w) => w.messages));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    sending = false;
  };
  return (messages) => {
    /** @type {Promise<void>} */
    const done = new Promise((resolve, reject) => waiting.push({ messages, resolve, reject }));
    if (!sending) void drain();
    return done;
  };
}

/** @param {(poll: Msg[]) => Promise<void>} publish */
async function produceAll(publish) {
  const inFlight = [];
  let t = 0;
  for (let i = 0; i < args.n; i += args.pollSize) {
    const poll = [];
    for (let j = 0; j < Math.min(args.pollSize, args.n - i); j++) poll.push(/** @type {Msg} */ (templates[t++ % templates.length]));
    inFlight.push(publish(poll));
    if (inFlight.length >= args.pollsInFlight) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/**
 * Connects (not measured), runs (measured: wall time and CPU), closes; peak RSS of the whole process.
 * @param {() => Promise<{ records: number, commits: number }>} run
 * @param {() => Promise<unknown>} connect
 * @param {() => Promise<unknown>} close
 */
async function measure(run, connect, close) {
  await connect();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { records, commits } = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await close();
  return { records, seconds, cpuS: (cpu.user + cpu.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024, warnings, commits };
}

async function kafkajs() {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const kafka = new Kafka({ clientId: 'bench', brokers: args.brokers, logLevel: logLevel.WARN, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 } });
  if (args.phase === 'produce') {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const publish = groupCommit(async (messages) => {
      await producer.send({ topic: args.topic, acks: -1, messages });
    });
    return measure(
      async () => {
        await produceAll(publish);
        return { records: args.n, commits: 0 };
      },
      async () => {
        await producer.connect();
        await publish([/** @type {Msg} */ (templates[0])]); // warm-up: metadata, InitProducerId
      },
      () => producer.disconnect(),
    );
  }
  const consumer = kafka.consumer({ groupId: args.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 1000 });
  return measure(
    async () => {
      let got = 0;
      let commits = 0;
      /** @type {Promise<void>} */
      const all = new Promise((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
        consumer
          .run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, resolveOffset }) => {
              const last = batch.messages.at(-1);
              if (last === undefined) return;
              got += batch.messages.length;
              await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
              commits++;
              resolveOffset(last.offset);
              if (got >= args.n) resolve();
            },
          })
          .catch(reject);
      });
      await all;
      return { records: got, commits };
    },
    async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: args.topic, fromBeginning: true });
    },
    () => consumer.disconnect(),
  );
}

async function platformatic() {
  const { Consumer, ProduceAcks, Producer } = await import('@platformatic/kafka');
  const base = { clientId: 'bench', bootstrapBrokers: args.brokers };
  if (args.phase === 'produce') {
    const producer = new Producer({ ...base, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
    const publish = groupCommit(async (messages) => {
      await producer.send({ messages: messages.map((m) => ({ topic: args.topic, key: m.key, value: m.value })) });
    });
    return measure(
      async () => {
        await produceAll(publish);
        return { records: args.n, commits: 0 };
      },
      () => publish([/** @type {Msg} */ (templates[0])]), // warm-up: metadata, InitProducerId
      () => producer.close(),
    );
  }
  // fetch sizes as kafkajs' defaults (platformatic's own: 50 MiB a fetch, no cap per partition)
  const consumer = new Consumer({ ...base, groupId: args.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTime: 1000, maxBytes: 10_485_760, maxBytesPerPartition: 1_048_576 });
  return measure(
    async () => {
      const stream = await consumer.consume({ topics: [args.topic], mode: 'earliest', autocommit: false });
      let got = 0;
      let commits = 0;
      /** @type {Map<string, { topic: string, partition: number, offset: bigint, leaderEpoch: number }>} */
      let pending = new Map();
      let pendingCount = 0;
      const take = (/** @type {import('@platformatic/kafka').Message} */ m) => {
        got++;
        pendingCount++;
        pending.set(`${m.topic}:${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1n, leaderEpoch: m.leaderEpoch });
      };
      const commitPending = async () => {
        const offsets = [...pending.values()];
        pending = new Map();
        pendingCount = 0;
        await consumer.commit({ offsets });
        commits++;
      };
      if (args.platformaticRead !== 'iterator') {
        // 'data' events; the stream paused while a commit is in flight, a commit at the end of each
        // burst of events (setImmediate) or every commitEvery records
        /** @type {Promise<void>} */
        const all = new Promise((resolve, reject) => {
          let flushing = false;
          let scheduled = false;
          const flush = () => {
            flushing = true;
            stream.pause();
            commitPending().then(
              () => {
                flushing = false;
                if (got >= args.n) resolve();
                else stream.resume();
              },
              reject,
            );
          };
          stream.on('error', reject);
          stream.on('data', (m) => {
            take(m);
            if (flushing) return;
            if (pendingCount >= args.commitEvery || got >= args.n) flush();
            else if (!scheduled) {
              scheduled = true;
              setImmediate(() => {
                scheduled = false;
                if (!flushing && pendingCount > 0) flush();
              });
            }
          });
        });
        await all;
      } else {
        for await (const m of stream) {
          take(m);
          if (pendingCount >= args.commitEvery || stream.readableLength === 0 || got >= args.n) await commitPending();
          if (got >= args.n) break;
        }
      }
      await stream.close().catch(() => undefined);
      return { records: got, commits };
    },
    () => Promise.resolve(),
    () => consumer.close(true),
  );
}

const result =
  args.client === 'kafkajs'
    ? await kafkajs()
    : args.client === 'platformatic'
      ? await platformatic()
      : { records: 0, seconds: 0, cpuS: 0, peakRssMiB: process.resourceUsage().maxRSS / 1024, warnings, commits: 0 };
// a warning is emitted on a later tick: let it arrive before reporting
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify(result));
