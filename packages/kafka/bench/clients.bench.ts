/**
 * kafkajs against @platformatic/kafka on ONE real broker (@busbar/testkit `startKafka`), interleaved
 * (`BENCH_ROUNDS`, default 3, the order alternating each round), with the same records: Busbar
 * Readings in single-object Avro encoding (about 300 bytes), keyed by device id (20 devices).
 *
 * Each measured run is a process of its own (`client-worker.mjs`, plain `node`), so that CPU time
 * (`process.cpuUsage`) and peak RSS (`maxRSS`) are the client's; a run of bare Node gives the baseline.
 * - produce: `BENCH_N` (default 100 000) records in polls of 100, at most 20 polls waiting, group
 *   commit (one request in flight), idempotent, acks = all, to a new 6-partition topic per run;
 * - consume: a new consumer group drains `BENCH_N` records of a pre-filled 6-partition topic from
 *   the earliest offset, committing offsets after each batch; timed from the subscription (group
 *   join included).
 * The platformatic consumer reads `'data'` events (pausing the stream while a commit is in flight);
 * `BENCH_PLATFORMATIC_READ=iterator` reads it with `for await` instead (much slower: docs/kafka-client.md).
 * Prints each run, then medians, spread (min–max) and the ratio platformatic / kafkajs. Not an
 * assertion; bounded (about 1–2 minutes on 2 cores):
 *
 *   npm run bench:clients -w @busbar/kafka
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readingSerde, type ReadingInput } from '@busbar/avro';
import { startKafka } from '@busbar/testkit';
import { PRODUCER_OPTIONS, createKafka, ensureTopics } from '../src/index.js';

const n = Number(process.env['BENCH_N'] ?? 100_000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const clients = ['kafkajs', 'platformatic'] as const;
type Client = (typeof clients)[number];
const worker = fileURLToPath(new URL('./client-worker.mjs', import.meta.url));

/** The argument of `client-worker.mjs` (JSON). */
export interface WorkerArgs {
  /** The library measured (`none`: bare Node). */
  readonly client: 'kafkajs' | 'platformatic' | 'none';
  /** What is measured. */
  readonly phase: 'produce' | 'consume' | 'none';
  /** Bootstrap brokers. */
  readonly brokers: string[];
  /** Topic produced to or drained. */
  readonly topic: string;
  /** Records to produce or to drain. */
  readonly n: number;
  /** JSON file `[{ key, value }]`, value the base64 of an encoded Reading (produce). */
  readonly templates: string;
  /** Consumer group (consume). */
  readonly groupId: string;
  /** Records per poll (produce). */
  readonly pollSize: number;
  /** Polls waiting at most (produce). */
  readonly pollsInFlight: number;
  /** Largest batch committed at once (consume, platformatic). */
  readonly commitEvery: number;
  /** How the platformatic consumer reads its stream: `'data'` events (default) or `for await`. */
  readonly platformaticRead: 'iterator' | 'events';
}

/** What `client-worker.mjs` prints. */
export interface WorkerResult {
  /** Records produced or consumed. */
  readonly records: number;
  /** Wall time of the measured phase, s. */
  readonly seconds: number;
  /** CPU time (user + system) of the process during the phase, s. */
  readonly cpuS: number;
  /** Peak resident set size of the whole process, MiB (`process.resourceUsage().maxRSS`). */
  readonly peakRssMiB: number;
  /** Names of the process warnings emitted (`TimeoutNegativeWarning`...). */
  readonly warnings: string[];
  /** Offset commits sent (consume). */
  readonly commits: number;
}

const reading = (i: number): ReadingInput => ({
  device_id: `arbin-${i % 20}`, protocol: 'arbin-cti', channel: (i % 16) + 1, timestamp: new Date(1_780_000_000_000 + i * 100),
  values: { voltage_v: 3.6543 + i / 1e5, current_a: -1.25, power_w: -4.567, capacity_ah: 1.2345, energy_wh: 4.321, temperature_c: 25.1, time_s: i / 10, step_time_s: i / 20, cycle_index: 12, step_index: 3 },
  states: { status: 'Charge', schedule_name: 'cc-cv-1c-25degC.sdx', test_name: 'cell-042-ageing', step_name: 'CC charge 1C' }, quality: 'GOOD', sequence: i,
});

function runWorker(args: WorkerArgs): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // plain node: Node 24 runs the worker's TypeScript without a transpiler in the process
    const child = spawn(process.execPath, [worker, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`worker ${args.client} ${args.phase} exited ${String(code)}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as WorkerResult);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const kafkaServer = await startKafka();
const dir = mkdtempSync(join(tmpdir(), 'busbar-clients-bench-'));
try {
  const templates = Array.from({ length: 1000 }, (_, i) => {
    const r = reading(i);
    return { key: r.device_id, value: Buffer.from(readingSerde.encode(r)).toString('base64') };
  });
  const templatesFile = join(dir, 'templates.json');
  writeFileSync(templatesFile, JSON.stringify(templates));
  const meanBytes = templates.reduce((s, t) => s + Buffer.from(t.value, 'base64').length, 0) / templates.length;

  // the consumers' topic, filled once by kafkajs
  const kafka = createKafka({ brokers: kafkaServer.brokers, clientId: 'bench-setup' });
  const admin = kafka.admin();
  await admin.connect();
  const filled = `bench.clients.filled.${randomUUID().slice(0, 8)}`;
  const produceTopics = Array.from({ length: rounds * clients.length }, (_, i) => `bench.clients.produce.${i}.${randomUUID().slice(0, 8)}`);
  await ensureTopics(admin, [filled, ...produceTopics].map((topic) => ({ topic, numPartitions: 6 })));
  await admin.disconnect();
  const producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  for (let i = 0; i < n; i += 5000) {
    await producer.send({ topic: filled, acks: -1, messages: Array.from({ length: Math.min(5000, n - i) }, (_, j) => templates[(i + j) % templates.length] as { key: string; value: string }).map((t) => ({ key: t.key, value: Buffer.from(t.value, 'base64') })) });
  }
  await producer.disconnect();

  const common = { brokers: kafkaServer.brokers, n, templates: templatesFile, pollSize: 100, pollsInFlight: 20, commitEvery: 5000, platformaticRead: process.env['BENCH_PLATFORMATIC_READ'] === 'iterator' ? ('iterator' as const) : ('events' as const) };
  const baseline = await runWorker({ ...common, client: 'none', phase: 'none', topic: '', groupId: '' });
  console.log(`${fmt(n)} Readings (${fmt(meanBytes)} bytes each, single-object Avro, 20 device keys), 6 partitions, ${rounds} rounds interleaved; platformatic consumer read by ${common.platformaticRead}; node ${process.version}; bare node peak RSS ${fmt(baseline.peakRssMiB, 1)} MiB`);
  const results: Record<'produce' | 'consume', Record<Client, WorkerResult[]>> = { produce: { kafkajs: [], platformatic: [] }, consume: { kafkajs: [], platformatic: [] } };
  let topicIndex = 0;
  for (let round = 0; round < rounds; round++) {
    const order: Client[] = round % 2 === 0 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
    for (const client of order) {
      const r = await runWorker({ ...common, client, phase: 'produce', topic: produceTopics[topicIndex++] as string, groupId: '' });
      results.produce[client].push(r);
      console.log(`round ${round + 1} produce ${client.padEnd(12)} ${fmt(r.records / r.seconds).padStart(8)} records/s  CPU ${fmt((r.cpuS / r.records) * 1e5, 2)} s/100k  peak RSS ${fmt(r.peakRssMiB, 1)} MiB${r.warnings.length > 0 ? `  warnings: ${r.warnings.join(', ')}` : ''}`);
    }
    for (const client of order) {
      const r = await runWorker({ ...common, client, phase: 'consume', topic: filled, groupId: `bench-${client}-${randomUUID()}` });
      results.consume[client].push(r);
      console.log(`round ${round + 1} consume ${client.padEnd(12)} ${fmt(r.records / r.seconds).padStart(8)} records/s  CPU ${fmt((r.cpuS / r.records) * 1e5, 2)} s/100k  peak RSS ${fmt(r.peakRssMiB, 1)} MiB  ${r.commits} commits${r.warnings.length > 0 ? `  warnings: ${r.warnings.join(', ')}` : ''}`);
    }
  }

  console.log('\nmedian (min–max)                 kafkajs                     platformatic                ratio platformatic/kafkajs');
  for (const phase of ['produce', 'consume'] as const) {
    const metrics: [string, (r: WorkerResult) => number, number][] = [
      ['records/s', (r) => r.records / r.seconds, 0],
      ['CPU s per 100k records', (r) => (r.cpuS / r.records) * 1e5, 2],
      ['peak RSS MiB', (r) => r.peakRssMiB, 1],
    ];
    for (const [name, f, digits] of metrics) {
      const cell = (c: Client): string => {
        const xs = results[phase][c].map(f);
        return `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
      };
      const ratio = median(results[phase].platformatic.map(f)) / median(results[phase].kafkajs.map(f));
      console.log(`${`${phase} ${name}`.padEnd(33)}${cell('kafkajs').padEnd(28)}${cell('platformatic').padEnd(28)}${ratio.toFixed(2)}×`);
    }
  }
  const warned = (c: Client): string[] => [...new Set([...results.produce[c], ...results.consume[c]].flatMap((r) => r.warnings))];
  console.log(`process warnings: kafkajs ${JSON.stringify(warned('kafkajs'))}, platformatic ${JSON.stringify(warned('platformatic'))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await kafkaServer.dispose();
}
