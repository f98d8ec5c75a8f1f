/**
 * How many channels one Arbin collector handles at 1 Hz, through the collector into Kafka.
 *
 * For each total channel count N (cyclers of 64 channels, served by simulators in a separate
 * process), one collector polls every cycler once a second and publishes one Reading per channel to
 * a real Kafka broker (testkit), acks = all. Printed per N and read mode: channel readings
 * acknowledged by Kafka per second, polls that overran the 1 s interval (poll + publish), and the
 * slowest poll. "Holds 1 Hz" = no overrun and ≥ 99 % of N readings/s.
 *
 * Run: npm run bench -w services/collectors/arbin
 *   BENCH_CHANNELS=64,256,512,1024  BENCH_DURATION_S=10  BENCH_MODES=per-channel,all
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import type { Counter, Gauge, Histogram, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopLogger } from '@busbar/core';
import { startKafka } from '@busbar/testkit';
import { collectorConfigSchema, startArbinCollector } from '../src/index.js';

const CHANNELS_PER_CYCLER = 64;
const totals = (process.env.BENCH_CHANNELS ?? '64,256,512,1024,2048').split(',').map(Number);
const modes = (process.env.BENCH_MODES ?? 'per-channel,all').split(',') as Array<'per-channel' | 'all'>;
const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const credentials = { username: 'bench', password: 'bench' };

/** In-memory metrics: sums per metric name, and the largest histogram observation. */
class BenchMetrics implements Metrics {
  readonly sums = new Map<string, number>();
  readonly max = new Map<string, number>();
  counter(spec: MetricSpec): Counter {
    return { inc: (_l?: Labels, v = 1) => void this.sums.set(spec.name, (this.sums.get(spec.name) ?? 0) + v) };
  }
  gauge(): Gauge {
    return { set: () => undefined, inc: () => undefined };
  }
  histogram(spec: MetricSpec): Histogram {
    return { observe: (_l, v) => void this.max.set(spec.name, Math.max(this.max.get(spec.name) ?? 0, v)) };
  }
  reset(): void {
    this.sums.clear();
    this.max.clear();
  }
}

async function startSimulators(count: number): Promise<{ ports: number[]; stop(): void }> {
  const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
  const child = spawn(tsx, ['--conditions=@busbar/source', fileURLToPath(new URL('./sim-host.ts', import.meta.url)), String(count), String(CHANNELS_PER_CYCLER), credentials.username, credentials.password], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator host exited with ${code}`)));
  });
  return { ports: JSON.parse(line) as number[], stop: () => child.stdin.end() };
}

const kafka = await startKafka();
const admin = new Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
console.log(`Arbin collector → Kafka at 1 Hz; ${CHANNELS_PER_CYCLER} channels per cycler; ${durationS} s per run; node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
console.log('channels  cyclers  mode         readings/s  target  overruns  slowest poll+publish  holds 1 Hz');
try {
  for (const total of totals) {
    const cyclers = Math.ceil(total / CHANNELS_PER_CYCLER);
    const sims = await startSimulators(cyclers);
    try {
      for (const mode of modes) {
        const run = randomUUID().slice(0, 8);
        const metrics = new BenchMetrics();
        const topics = { readings: `bench.${run}.readings`, deviceEvents: `bench.${run}.events`, deviceCommands: `bench.${run}.device-commands`, commandResults: `bench.${run}.results`, deadLetter: `bench.${run}.dead` };
        await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 6 })), waitForLeaders: true });
        const config = collectorConfigSchema.parse({
          kafka: { brokers: kafka.brokers },
          topics,
          instanceId: `bench-${run}`,
          devices: sims.ports.map((port, i) => ({ id: `arbin-${i + 1}`, host: '127.0.0.1', port, pollIntervalMs: 1000, readMode: mode, requestTimeoutMs: 5000 })),
        });
        const collector = await startArbinCollector({ ...config, devices: config.devices! }, { logger: noopLogger, metrics, credentials });
        await new Promise((r) => setTimeout(r, 3000)); // connect, warm up, topic creation
        metrics.reset();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, durationS * 1000));
        const s = (performance.now() - t0) / 1000;
        const perS = (metrics.sums.get('busbar_collector_readings_total') ?? 0) / s;
        const overruns = metrics.sums.get('busbar_device_poll_overruns_total') ?? 0;
        const slowest = metrics.max.get('busbar_device_poll_seconds') ?? 0;
        const holds = overruns === 0 && perS >= 0.99 * total;
        await collector.stop();
        console.log(`${String(total).padStart(8)}  ${String(cyclers).padStart(7)}  ${mode.padEnd(11)}  ${perS.toFixed(0).padStart(10)}  ${String(total).padStart(6)}  ${String(overruns).padStart(8)}  ${(slowest * 1000).toFixed(0).padStart(17)} ms  ${holds ? 'yes' : 'NO'}`);
      }
    } finally {
      sims.stop();
    }
  }
} finally {
  await admin.disconnect();
  await kafka.stop();
}
