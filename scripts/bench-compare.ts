/**
 * Side-by-side benchmark (issue 15): the historian against Telegraf and against a raw line-protocol
 * writer, each draining the same readings from the same Kafka into the same InfluxDB, all real, on
 * loopback. `npm run bench:compare [-- flags]` (scripts/bench-compare.sh builds Telegraf first).
 *
 * Set-up, once: one Kafka (`--partitions` per topic), one InfluxDB; `--readings` readings of 18
 * floats (`cycler_channel`, 100 devices × channels) produced twice — Avro single-object encoded
 * (what collectors publish; the historian's topic) and as the same points in line protocol (what
 * Telegraf's `influx` parser and the raw writer read; Telegraf cannot read Avro).
 *
 * Rounds (`--rounds`, ≥ 3): each contender drains its topic with a fresh consumer group into a fresh
 * bucket (deleted afterwards); the order rotates every round, so that no contender always runs
 * first or last. A run's window opens when the group's first committed offset is seen and closes
 * when every record is committed (every contender commits only after InfluxDB acknowledged):
 * rate = records committed in the window / window; CPU = the process's utime+stime over the window
 * (/proc/<pid>/stat) per 100k points; peak RSS = VmHWM at the end. Offsets are polled every 50 ms;
 * Telegraf (sarama) commits every second, which delays both ends of its window alike.
 *
 * Prints per-run rows, medians with spread (min–max) and the per-round ratios' medians; writes JSON
 * to `.busbar/bench/compare-<timestamp>.json`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { readingSerde } from '@busbar/avro';
import type { ReadingInput } from '@busbar/avro';
import { startInflux, startKafka } from '@busbar/testkit';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    readings: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '4' },
    only: { type: 'string', default: 'historian,telegraf,raw' },
    'historian-node-args': { type: 'string', default: '' },
    /** More historians to compare, each with these node options (e.g. `--max-semi-space-size=4`): contenders `historian <options>`. */
    'historian-variant': { type: 'string', multiple: true, default: [] },
    'historian-env': { type: 'string', multiple: true, default: [] },
    telegraf: { type: 'string', default: process.env.BUSBAR_TELEGRAF_BIN ?? '' },
    'timeout-s': { type: 'string', default: '300' },
    'out-dir': { type: 'string', default: resolve(REPO, '.busbar/bench') },
  },
});
const N = Number(args.readings);
const ROUNDS = Number(args.rounds);
const PARTITIONS = Number(args.partitions);
if (!(Number.isInteger(N) && N > 0 && N <= 2_000_000)) throw new Error(`--readings: an integer in 1…2000000, got ${args.readings}`);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) throw new Error(`--rounds: an integer in 1…20, got ${args.rounds}`);
if (!(Number.isInteger(PARTITIONS) && PARTITIONS >= 1 && PARTITIONS <= 64)) throw new Error(`--partitions: an integer in 1…64, got ${args.partitions}`);
/** `historian`, `telegraf`, `raw`, or `historian <node options>` (a `--historian-variant`). */
type Contender = string;
const contenders: Contender[] = [...args.only.split(',').map((s) => s.trim()), ...args['historian-variant'].map((v) => `historian ${v}`)];
for (const c of contenders) if (!['historian', 'telegraf', 'raw'].includes(c) && !c.startsWith('historian ')) throw new Error(`--only: historian, telegraf, raw; got ${c}`);
if (contenders.includes('telegraf') && args.telegraf === '') throw new Error('--telegraf: the Telegraf binary (scripts/infra/build-telegraf.sh prints it)');

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const round1 = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, seconds (/proc/<pid>/stat fields 14 and 15, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** Peak resident set (VmHWM), MiB. */
function peakRssMiB(pid: number): number {
  const kb = Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'NaN');
  return kb / 1024;
}

/** The benchmark's readings: 100 devices, channel 1…8, 18 floats each, unique timestamps per series. */
function readingAt(i: number, t0: number): ReadingInput {
  const device = i % 100;
  const values: Record<string, number> = {};
  const names = ['voltage_v', 'current_a', 'power_w', 'charge_ah', 'discharge_ah', 'energy_wh', 'discharge_wh', 'temperature_c', 'aux_temperature_c', 'internal_resistance_ohm', 'dv_dt_v_per_s', 'step_time_s', 'test_time_s', 'cycle_index', 'step_index', 'set_point_a', 'set_point_v', 'pressure_pa'];
  names.forEach((n, k) => (values[n] = Math.round((Math.sin(i * 0.001 + k) * 100 + k) * 1e6) / 1e6));
  return { device_id: `cycler-${device}`, protocol: 'arbin-cti', record_type: 'cycler_channel', channel: 1 + (Math.floor(i / 100) % 8), timestamp: new Date(t0 + Math.floor(i / 800)), values, states: { status: 'Charge' }, quality: 'GOOD', sequence: i };
}

async function main(): Promise<void> {
  const machine = { nproc: cpus().length, cpu: (/model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown').trim(), memoryGiB: round1(totalmem() / 2 ** 30), node: process.version, kernel: release() };
  say(`machine: ${machine.nproc} CPUs, ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, Linux ${machine.kernel}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const work = mkdtempSync(join(tmpdir(), 'busbar-bench-compare-'));
  await using kafkaServer = await startKafka({ numPartitions: PARTITIONS, heapMb: 768 });
  await using influx = await startInflux();
  const kafka = new Kafka({ clientId: 'bench-compare', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = { avro: 'bench.readings.avro', lp: 'bench.readings.lp' };
  await admin.createTopics({ topics: [topics.avro, topics.lp].map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true });

  // the readings, twice: Avro (historian) and the same points as line protocol (Telegraf, raw writer)
  const { readingToPoint } = await import('../services/historian/src/points.js');
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.UTC(2026, 0, 1);
  const started = performance.now();
  for (let i = 0; i < N; i += 2000) {
    const avro: { key: string; value: Buffer }[] = [];
    const lp: { key: string; value: Buffer }[] = [];
    for (let j = i; j < Math.min(N, i + 2000); j++) {
      const r = readingAt(j, t0);
      const encoded = readingSerde.encode(r);
      avro.push({ key: r.device_id, value: encoded });
      lp.push({ key: r.device_id, value: Buffer.from(readingToPoint(readingSerde.decode(encoded)).point!.toLineProtocol()!) });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: topics.avro, messages: avro }, { topic: topics.lp, messages: lp }] });
  }
  await producer.disconnect();
  const sizes = await Promise.all([topics.avro, topics.lp].map(async (t) => (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high), 0)));
  say(`produced ${N} readings × 18 floats to ${topics.avro} and ${topics.lp} (${PARTITIONS} partitions each) in ${round1((performance.now() - started) / 1000)} s; records: ${sizes.join(' / ')}`);

  const runs: { round: number; contender: Contender; rate: number; cpuPer100k: number; peakRssMiB: number; windowS: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, k) => contenders[(k + round) % contenders.length]!);
    for (const contender of order) {
      const r = await runOne(contender, round, { admin, kafkaBrokers: kafkaServer.brokers, influx, work, topics });
      runs.push(r);
      say(`round ${round + 1} ${contender.padEnd(12)} ${String(Math.round(r.rate)).padStart(7)} points/s  CPU ${r.cpuPer100k.toFixed(2)} s/100k points  peak RSS ${r.peakRssMiB.toFixed(0)} MiB  (window ${r.windowS.toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)})`);
    }
  }
  await admin.disconnect();

  say();
  say('| contender | points/s median (min–max) | CPU s per 100k points median (min–max) | peak RSS MiB median (min–max) |');
  say('| --- | --- | --- | --- |');
  const of = (c: Contender, k: 'rate' | 'cpuPer100k' | 'peakRssMiB'): number[] => runs.filter((r) => r.contender === c).map((r) => r[k]);
  const cell = (xs: number[], d: number): string => `${round1(median(xs), d)} (${round1(Math.min(...xs), d)}–${round1(Math.max(...xs), d)})`;
  for (const c of contenders) say(`| ${c} | ${cell(of(c, 'rate'), 0)} | ${cell(of(c, 'cpuPer100k'), 2)} | ${cell(of(c, 'peakRssMiB'), 0)} |`);
  const ratios: Record<string, { rate: string; cpu: string; rss: string }> = {};
  for (const other of contenders.filter((c) => c !== 'historian')) {
    if (!contenders.includes('historian')) break;
    const per = (k: 'rate' | 'cpuPer100k' | 'peakRssMiB'): number[] => Array.from({ length: ROUNDS }, (_, i) => runs.find((r) => r.round === i && r.contender === 'historian')![k] / runs.find((r) => r.round === i && r.contender === other)![k]);
    ratios[other] = { rate: cell(per('rate'), 2), cpu: cell(per('cpuPer100k'), 2), rss: cell(per('peakRssMiB'), 2) };
    say(`historian / ${other} (per-round ratios, median (min–max)): rate ${ratios[other].rate}×, CPU per point ${ratios[other].cpu}×, peak RSS ${ratios[other].rss}×`);
  }
  say(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const outDir = args['out-dir'];
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, readings: N, partitions: PARTITIONS, rounds: ROUNDS, historianNodeArgs: args['historian-node-args'], historianEnv: args['historian-env'], runs, ratios }, null, 2));
  say(`JSON: ${file.startsWith(REPO) ? file.slice(REPO.length + 1) : file}`);
}

interface RunContext {
  readonly admin: Admin;
  readonly kafkaBrokers: string[];
  readonly influx: { url: string; org: string; orgId: string; token: string };
  readonly work: string;
  readonly topics: { avro: string; lp: string };
}

async function influxApi(ctx: RunContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, ctx.influx.url), { method, headers: { Authorization: `Token ${ctx.influx.token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`InfluxDB ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** Starts one contender on a fresh group and bucket, waits until its topic is drained, stops it. */
async function runOne(contender: Contender, round: number, ctx: RunContext): Promise<{ round: number; contender: Contender; rate: number; cpuPer100k: number; peakRssMiB: number; windowS: number }> {
  const id = `${contender.split(' ')[0]}-${round}-${Date.now()}`;
  const group = `bench-${id}`;
  const bucket = `bench-${id}`;
  const { id: bucketId } = (await influxApi(ctx, 'POST', '/api/v2/buckets', { orgID: ctx.influx.orgId, name: bucket, retentionRules: [] })) as { id: string };
  const historian = contender === 'historian' || contender.startsWith('historian ');
  const topic = historian ? ctx.topics.avro : ctx.topics.lp;
  const log = openSync(join(ctx.work, `${id}.log`), 'w');
  let child: ChildProcess;
  if (historian) {
    const cfg = join(ctx.work, `${id}.json`);
    const t = (s: string): string => `bench.${s}.${id}`;
    writeFileSync(cfg, JSON.stringify({ kafka: { brokers: ctx.kafkaBrokers }, topics: { readings: topic, deviceEvents: t('events'), commandResults: t('results'), alerts: t('alerts'), deadLetter: t('dead') }, groupId: group, influx: { url: ctx.influx.url, org: ctx.influx.org, bucket, token: ctx.influx.token }, ops: { host: '127.0.0.1', port: 0 } }));
    const env: NodeJS.ProcessEnv = { ...process.env, BUSBAR_LOG_LEVEL: 'warn' };
    for (const kv of args['historian-env']) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    const nodeArgs = (contender === 'historian' ? args['historian-node-args'] : contender.slice('historian '.length)).split(' ').filter((s) => s !== '');
    child = spawn(process.execPath, [...nodeArgs, join(REPO, 'services/historian/dist/main.js'), '--config', cfg], { env, stdio: ['ignore', log, log] });
  } else if (contender === 'telegraf') {
    const conf = join(ctx.work, `${id}.toml`);
    writeFileSync(
      conf,
      [
        '[agent]',
        '  interval = "1s"',
        '  flush_interval = "1s"',
        '  flush_jitter = "0s"',
        '  metric_batch_size = 5000',
        '  metric_buffer_limit = 200000',
        '  omit_hostname = true',
        '[[inputs.kafka_consumer]]',
        `  brokers = ${JSON.stringify(ctx.kafkaBrokers)}`,
        `  topics = [${JSON.stringify(topic)}]`,
        `  consumer_group = ${JSON.stringify(group)}`,
        '  offset = "oldest"',
        '  max_undelivered_messages = 20000',
        '  data_format = "influx"',
        '  version = "3.9.0"',
        '[[outputs.influxdb_v2]]',
        `  urls = [${JSON.stringify(ctx.influx.url)}]`,
        `  token = ${JSON.stringify(ctx.influx.token)}`,
        `  organization = ${JSON.stringify(ctx.influx.org)}`,
        `  bucket = ${JSON.stringify(bucket)}`,
        '  content_encoding = "identity"',
        '',
      ].join('\n'),
    );
    child = spawn(args.telegraf, ['--config', conf], { stdio: ['ignore', log, log] });
  } else {
    child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/bench-compare/raw-writer.ts'), '--brokers', ctx.kafkaBrokers.join(','), '--topic', topic, '--group', group, '--url', ctx.influx.url, '--org', ctx.influx.org, '--bucket', bucket, '--token', ctx.influx.token, '--lines', '5000', '--concurrency', '4'], { cwd: REPO, stdio: ['ignore', log, log] });
  }
  const pid = child.pid!;
  let exited = false;
  child.once('exit', () => (exited = true));
  /** Records the group committed; -1 while Kafka cannot tell (a coordinator loading: retried at the next poll). */
  const committed = async (): Promise<number> => {
    try {
      const [t] = await ctx.admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    } catch {
      return -1;
    }
  };
  try {
    const deadline = Date.now() + Number(args['timeout-s']) * 1000;
    let start: { t: number; done: number; cpu: number } | undefined;
    for (;;) {
      if (exited) throw new Error(`${contender} exited early; see ${join(ctx.work, `${id}.log`)}`);
      if (Date.now() > deadline) throw new Error(`${contender} did not drain ${N} records within ${args['timeout-s']} s; see ${join(ctx.work, `${id}.log`)}`);
      const done = await committed();
      if (done < 0) {
        await sleep(50);
        continue;
      }
      const t = performance.now();
      const cpu = cpuSeconds(pid);
      if (start === undefined && done > 0) start = { t, done, cpu };
      if (start !== undefined && done >= N) {
        const windowS = (t - start.t) / 1000;
        const points = done - start.done;
        return { round, contender, rate: points / windowS, cpuPer100k: ((cpu - start.cpu) / points) * 100_000, peakRssMiB: peakRssMiB(pid), windowS };
      }
      await sleep(50);
    }
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
    await influxApi(ctx, 'DELETE', `/api/v2/buckets/${bucketId}`).catch(() => undefined);
  }
}

await main();
