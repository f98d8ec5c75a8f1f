/**
 * Pipeline benchmark: N simulated Modbus power supplies → one collector process → Kafka →
 * one historian process → InfluxDB, all on loopback, for a bounded time.
 *
 *   npx tsx --conditions=@busbar/source deploy/local/bench-pipeline.ts [--devices 20] [--hz 20] [--duration 30] [--warmup 5]
 *
 * Reports, over the measurement window [t0, t1):
 * - readings/s end to end = readings stored in InfluxDB with a timestamp in the window / window
 *   length, cross-checked with the collector's `busbar_kafka_records_out_total{topic=readings}` and the
 *   historian's `busbar_historian_points_written_total` deltas;
 * - p50/p99 latency from the reading timestamp (the poll) to InfluxDB's acknowledgement, from the
 *   historian's `busbar_historian_end_to_end_seconds` histogram (delta over the window), linearly
 *   interpolated inside its buckets (bounds 10, 25, 50, 100, 250, 500 ms, 1 s...): a bucket
 *   estimate, not an exact quantile;
 * - RSS (VmRSS, and the peak VmHWM, from /proc/<pid>/status) and CPU (process_cpu_seconds_total
 *   delta) of each service process, and of this launcher, which runs the simulators;
 * - poll overruns (`busbar_device_poll_overruns_total`): polls that took longer than the interval,
 *   the sign that the offered rate was not reached.
 * Prints a table and writes JSON to `.busbar/bench/pipeline-<timestamp>.json`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from '@influxdata/influxdb-client';
import { modbusPowerSupplies } from './plugins/modbus-power-supply.js';
import { histogramDelta, histogramOf, histogramQuantile, scrape, sumOf } from './prom.js';
import type { Sample } from './prom.js';
import { REPO_ROOT, startStack, tail } from './stack.js';
import type { ServiceProcess, Stack } from './stack.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '20' },
    hz: { type: 'string', default: '20' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'batch-lines': { type: 'string' },
    'out-dir': { type: 'string', default: resolve(REPO_ROOT, '.busbar/bench') },
  },
});

const devices = positiveInt('devices', args.devices, 1000);
const hz = positiveNumber('hz', args.hz, 100);
const durationS = positiveNumber('duration', args.duration, 600);
const warmupS = positiveNumber('warmup', args.warmup, 120);
const pollIntervalMs = Math.round(1000 / hz);

function positiveNumber(name: string, raw: string, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || v > max) throw new Error(`--${name}: must be a number in (0, ${max}], got ${raw}`);
  return v;
}
function positiveInt(name: string, raw: string, max: number): number {
  const v = positiveNumber(name, raw, max);
  if (!Number.isInteger(v)) throw new Error(`--${name}: must be an integer, got ${raw}`);
  return v;
}

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Machine facts for the report. */
interface Machine {
  readonly nproc: number;
  readonly cpu_model: string;
  readonly memory_gib: number;
  readonly node: string;
  readonly kernel: string;
}

/** Machine facts for the report. */
function machine(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return { nproc: cpus().length, cpu_model: cpuModel.trim(), memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, kernel: release() };
}

/** VmRSS and VmHWM of a process, MiB (from /proc/<pid>/status). */
function memoryMiB(pid: number): { rss_mib: number; peak_rss_mib: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: round(kb('VmRSS') / 1024, 1), peak_rss_mib: round(kb('VmHWM') / 1024, 1) };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

async function run(stack: Stack): Promise<number> {
  const collector = stack.services.get('collector-modbus')!;
  const historian = stack.services.get('historian')!;
  const readingsTopic = { topic: stack.topics.readings };
  const both = async (): Promise<{ c: Sample[]; h: Sample[] }> => {
    const [c, h] = await Promise.all([scrape(collector.metricsUrl), scrape(historian.metricsUrl)]);
    return { c, h };
  };

  say(`.. warming up: first points in InfluxDB, then ${warmupS} s`);
  await waitFor('the first points written by the historian', 60_000, async () => sumOf(await scrape(historian.metricsUrl), 'busbar_historian_points_written_total') > 0);
  await sleep(warmupS * 1000);

  const a = await both();
  const t0 = Date.now();
  const launcherCpu0 = process.cpuUsage();
  say(`.. measuring for ${durationS} s`);
  await sleep(durationS * 1000);
  const b = await both();
  const t1 = Date.now();
  const windowS = (t1 - t0) / 1000;
  const launcherCpu = process.cpuUsage(launcherCpu0);
  const load = loadavg();
  const memory = Object.fromEntries([collector, historian].map((s) => [s.name, memoryMiB(s.pid)]));

  // drain: everything the collector had published by t1 is acknowledged by InfluxDB
  const publishedByT1 = sumOf(b.c, 'busbar_kafka_records_out_total', readingsTopic);
  const drainStart = Date.now();
  await waitFor('the historian to catch up', 60_000, async () => sumOf(await scrape(historian.metricsUrl), 'busbar_historian_points_written_total') >= publishedByT1);
  const drainMs = Date.now() - drainStart;

  const { url, org, bucket, token } = stack.influx;
  const flux = `from(bucket: "${bucket}") |> range(start: ${new Date(t0).toISOString()}, stop: ${new Date(t1).toISOString()}) |> filter(fn: (r) => r._measurement =~ /^modbus/ and r._field == "voltage_v") |> group() |> count()`;
  const rows = await new InfluxDB({ url, token, timeout: 60_000 }).getQueryApi(org).collectRows<{ _value: number }>(flux);
  const stored = Number(rows[0]?._value ?? 0);

  const published = publishedByT1 - sumOf(a.c, 'busbar_kafka_records_out_total', readingsTopic);
  const written = sumOf(b.h, 'busbar_historian_points_written_total') - sumOf(a.h, 'busbar_historian_points_written_total');
  const latency = histogramDelta(histogramOf(b.h, 'busbar_historian_end_to_end_seconds'), histogramOf(a.h, 'busbar_historian_end_to_end_seconds'));
  const pollOutcomes = (outcome: string): number => sumOf(b.c, 'busbar_device_polls_total', { outcome }) - sumOf(a.c, 'busbar_device_polls_total', { outcome });
  const overruns = sumOf(b.c, 'busbar_device_poll_overruns_total') - sumOf(a.c, 'busbar_device_poll_overruns_total');
  const cpu = (s: ServiceProcess, x: Sample[], y: Sample[]): number => round(((sumOf(y, 'process_cpu_seconds_total') - sumOf(x, 'process_cpu_seconds_total')) / windowS) * 100, 1);
  const writeP50 = histogramQuantile(histogramDelta(histogramOf(b.h, 'busbar_historian_write_seconds'), histogramOf(a.h, 'busbar_historian_write_seconds')), 0.5);

  const result = {
    benchmark: 'pipeline: modbus simulators → collector-modbus → Kafka → historian → InfluxDB (loopback)',
    command: `npx tsx --conditions=@busbar/source deploy/local/bench-pipeline.ts --devices ${devices} --hz ${hz} --duration ${durationS} --warmup ${warmupS}${args['batch-lines'] ? ` --batch-lines ${args['batch-lines']}` : ''}`,
    at: new Date(t0).toISOString(),
    machine: { ...machine(), loadavg_1m_at_end: round(load[0]!, 2) },
    load: { devices, poll_hz: hz, poll_interval_ms: pollIntervalMs, offered_readings_per_s: round((devices * 1000) / pollIntervalMs, 1), fields_per_reading: 18 },
    window_s: round(windowS, 2),
    readings_per_s: {
      influxdb_stored: round(stored / windowS, 1),
      collector_published: round(published / windowS, 1),
      historian_written: round(written / windowS, 1),
    },
    counts: { influxdb_stored: stored, collector_published: published, historian_written: written, polls_ok: pollOutcomes('ok'), polls_not_ok: sumOf(b.c, 'busbar_device_polls_total') - sumOf(a.c, 'busbar_device_polls_total') - pollOutcomes('ok'), poll_overruns: overruns },
    latency_s: {
      method: 'busbar_historian_end_to_end_seconds (reading timestamp → InfluxDB ack), delta over the window, linear interpolation inside histogram buckets',
      observations: latency.count,
      mean: round(latency.sum / latency.count, 4),
      p50: round(histogramQuantile(latency, 0.5), 4),
      p99: round(histogramQuantile(latency, 0.99), 4),
      buckets: latency.buckets.map((x) => ({ le: x.le === Infinity ? '+Inf' : x.le, count: x.count })),
      influx_write_request_p50_s: round(writeP50, 4),
    },
    drain_ms_after_window: drainMs,
    processes: {
      'collector-modbus': { pid: collector.pid, ...memory['collector-modbus'], cpu_percent: cpu(collector, a.c, b.c) },
      historian: { pid: historian.pid, ...memory.historian, cpu_percent: cpu(historian, a.h, b.h) },
      'launcher (simulators)': { pid: process.pid, ...memoryMiB(process.pid), cpu_percent: round(((launcherCpu.user + launcherCpu.system) / 1e6 / windowS) * 100, 1) },
    },
    flux,
  };

  const m = result.machine;
  say('');
  say(`machine: ${m.nproc} CPUs, ${m.cpu_model}, ${m.memory_gib} GiB, node ${m.node}, Linux ${m.kernel}; load average (1 min) ${m.loadavg_1m_at_end}`);
  say(`load:    ${devices} devices × ${hz} Hz (poll every ${pollIntervalMs} ms) = ${result.load.offered_readings_per_s} readings/s offered, 18 fields each; window ${result.window_s} s`);
  say('');
  say('readings/s end to end (InfluxDB, timestamps in window)  ' + String(result.readings_per_s.influxdb_stored).padStart(9));
  say('readings/s published by the collector (records_out)     ' + String(result.readings_per_s.collector_published).padStart(9));
  say('readings/s acknowledged to the historian (points_written)' + String(result.readings_per_s.historian_written).padStart(8));
  say(`latency reading → InfluxDB ack  p50 ${(result.latency_s.p50 * 1000).toFixed(1)} ms  p99 ${(result.latency_s.p99 * 1000).toFixed(1)} ms  mean ${(result.latency_s.mean * 1000).toFixed(1)} ms  (bucket-interpolated, ${latency.count} obs.)`);
  say(`polls: ${result.counts.polls_ok} ok, ${result.counts.polls_not_ok} not ok, ${overruns} overruns; drain after window ${drainMs} ms; InfluxDB write request p50 ${(writeP50 * 1000).toFixed(1)} ms`);
  say('');
  say('process                  pid      RSS MiB  peak MiB  CPU %');
  for (const [name, p] of Object.entries(result.processes)) {
    say(`${name.padEnd(24)} ${String(p.pid).padEnd(8)} ${String(p.rss_mib).padStart(7)}  ${String(p.peak_rss_mib).padStart(8)}  ${String(p.cpu_percent).padStart(5)}`);
  }
  mkdirSync(args['out-dir'], { recursive: true });
  const file = join(args['out-dir'], `pipeline-${new Date(t0).toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  say(`\nJSON: ${relative(process.cwd(), file)}`);
  for (const s of [collector, historian]) if (!s.running()) throw new Error(`${s.name} died during the run:\n${tail(s.logFile)}`);
  return 0;
}

async function main(): Promise<number> {
  const guard = setTimeout(() => {
    process.stderr.write('bench-pipeline: overall time limit exceeded\n');
    process.exit(3);
  }, (durationS + warmupS + 300) * 1000);
  guard.unref();
  say(`busbar pipeline bench: ${devices} devices × ${hz} Hz for ${durationS} s`);
  const stack = await startStack({
    runDir: resolve(args['out-dir'], 'run'),
    plugins: [modbusPowerSupplies({ devices, pollIntervalMs, timeoutMs: 1000, tickMs: 100 })],
    historian: args['batch-lines'] ? { batchLines: positiveInt('batch-lines', args['batch-lines'], 100_000) } : {},
    alerterRules: false,
    commander: false,
    logLevel: 'info', // the ops port is announced at info
    onProgress: (l) => say(`.. ${l}`),
  });
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    void stack.stop().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(stack);
  } finally {
    const codes = await stack.stop();
    say(`stopped: ${Object.entries(codes).map(([n, c]) => `${n} exit ${String(c)}`).join(', ')}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench-pipeline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
