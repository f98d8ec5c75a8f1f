/**
 * Direct-control latency benchmark, on the real servers (Kafka from @busbar/testkit, loopback):
 *
 *   bench → busbar.commands → commander (validate, route) → busbar.device-commands → Maccor collector
 *   (pace, envelope, watchdog) → MacNet simulator (6,8) → busbar.command-results
 *
 * `--channels` channels (default 8) each get `--rate` set-points per second (default 10), staggered,
 * for `--duration` seconds, while the same collector polls the tester's channels at 1 Hz. For every
 * set-point command:
 *   - routed:  the routed command's Kafka timestamp (set by the commander's producer) − published;
 *   - applied: when the simulator received its (6,8) (simulator request log) − when the bench published it;
 *   - result:  the CommandResult's Kafka timestamp (set by the collector's producer) − published.
 * Prints p50/p90/p99/max and the counts (executed, superseded, other). `--service-ms` sets the
 * simulator's per-request service time (a real tester: ~30 ms, serialized — 80 set-points/s would
 * then exceed what one tester can serve, Maccor MacNet reference §2).
 *
 *   npm run bench -w services/collectors/maccor [-- --channels 8 --rate 10 --duration 20 --service-ms 0]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput, CommandResult } from '@busbar/avro';
import { commandResultSerde, commandSerde } from '@busbar/avro';
import { commanderConfigSchema, startCommander } from '@busbar/commander';
import type { CommanderConfig } from '@busbar/commander';
import { startMaccorSimulator } from '@busbar/driver-maccor-macnet';
import { startKafka } from '@busbar/testkit';
import { collectorConfigSchema, startMaccorCollector } from '../src/index.js';

const { values: args } = parseArgs({ options: { channels: { type: 'string', default: '8' }, rate: { type: 'string', default: '10' }, duration: { type: 'string', default: '20' }, 'service-ms': { type: 'string', default: '0' } } });
const channels = Number(args.channels);
const rate = Number(args.rate);
const durationS = Number(args.duration);
const serviceMs = Number(args['service-ms']);

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
function stats(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${name.padEnd(34)} n=${String(s.length).padStart(5)}  p50 ${quantile(s, 0.5).toFixed(1).padStart(7)} ms  p90 ${quantile(s, 0.9).toFixed(1).padStart(7)} ms  p99 ${quantile(s, 0.99).toFixed(1).padStart(7)} ms  max ${(s.at(-1) ?? NaN).toFixed(1).padStart(7)} ms`;
}

const run = randomUUID().slice(0, 8);
const topics = {
  readings: `bench.${run}.readings`, deviceEvents: `bench.${run}.device-events`, commands: `bench.${run}.commands`, deviceCommands: `bench.${run}.device-commands`,
  commandResults: `bench.${run}.command-results`, alerts: `bench.${run}.alerts`, deadLetter: `bench.${run}.dead-letter`,
};
const SAFETY = { max_voltage_v: 4.3, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 15, max_discharge_power_w: 15 };
const ENVELOPE = { max_voltage_v: 4.2, min_voltage_v: 2.8, max_charge_current_a: 2, max_discharge_current_a: 2, max_power_w: 10 };

process.stderr.write(`starting Kafka and the simulator (${channels} channels, service time ${serviceMs} ms)...\n`);
const kafkaServer = await startKafka();
const sim = await startMaccorSimulator({ port: 0, channels, seed: 5, serviceTimeMs: serviceMs });
const kafka = new Kafka({ clientId: 'bench-maccor', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
await admin.disconnect();
const device = { id: 'mac-bench', host: '127.0.0.1', jsonPort: sim.port, channels, pollIntervalMs: 1000, requestCostMs: Math.max(1, serviceMs), directControl: { watchdogMs: 2000, testerWatchdogS: 0 }, channelSettings: { [`1-${channels}`]: { safety: SAFETY, envelope: ENVELOPE } } };
const kafkaCfg = { brokers: kafkaServer.brokers };
const deps = { logger: noopLogger, metrics: noopMetrics };
const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaCfg, topics, instanceId: `bench-${run}`, devices: [device] });
const collector = await startMaccorCollector({ ...collectorRaw, devices: collectorRaw.devices! }, deps);
const commander = await startCommander(commanderConfigSchema.parse({ kafka: kafkaCfg, topics, groupId: `bench-commander-${run}`, policy: { requireSignature: false }, maccor: { devices: [device] } }) as CommanderConfig, deps);

const results = new Map<string, { result: CommandResult; kafkaMs: number }>();
const consumer = kafka.consumer({ groupId: `bench-results-${run}`, maxWaitTimeInMs: 20 });
await consumer.connect();
const routed = new Map<string, number>();
await consumer.subscribe({ topics: [topics.commandResults, topics.deviceCommands], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ topic, message }) => {
    if (topic === topics.deviceCommands) {
      routed.set(commandSerde.decode(message.value!).command_id, Number(message.timestamp));
      return;
    }
    const r = commandResultSerde.decode(message.value!);
    results.set(r.command_id, { result: r, kafkaMs: Number(message.timestamp) });
  },
});
const producer = kafka.producer();
await producer.connect();

async function command(channel: number, action: string, parameters: CommandInput['parameters']): Promise<{ id: string; atMs: number }> {
  const id = randomUUID();
  const atMs = Date.now();
  await producer.send({ topic: topics.commands, messages: [{ key: device.id, value: commandSerde.encode({ command_id: id, issuer: 'bench', issued_at: new Date(atMs), expires_at: new Date(atMs + 60_000), target: { device_id: device.id, channel }, action, parameters }) }] });
  return { id, atMs };
}
async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

// start direct control on every channel
const starts = await Promise.all(Array.from({ length: channels }, (_, i) => command(i + 1, 'maccor.start_direct_control', {})));
if (!(await until(() => starts.every((s) => results.has(s.id)), 60_000))) throw new Error('direct control did not start on every channel');
const notStarted = starts.filter((s) => results.get(s.id)!.result.status !== 'EXECUTED');
if (notStarted.length > 0) throw new Error(`start_direct_control failed: ${JSON.stringify(notStarted.map((s) => results.get(s.id)!.result.reason))}`);

// set-points: channel c at t = k/rate + c/(rate·channels); current unique per command (µA steps) to find its (6,8)
const sent: { id: string; atMs: number; channel: number; current_a: number }[] = [];
const periodMs = 1000 / rate;
const t0 = Date.now() + 200;
const total = Math.floor(durationS * rate);
let seq = 0;
const timers: Promise<void>[] = [];
for (let k = 0; k < total; k++) {
  for (let c = 1; c <= channels; c++) {
    const at = t0 + k * periodMs + ((c - 1) * periodMs) / channels;
    const current_a = Number((0.5 + (++seq % 100000) * 1e-5).toFixed(5));
    timers.push(new Promise((resolve) => setTimeout(() => {
      void command(c, 'maccor.set_direct_output', { mode: 'charge', current_a, voltage_v: 4.1 }).then((s) => { sent.push({ ...s, channel: c, current_a }); resolve(); });
    }, Math.max(0, at - Date.now()))));
  }
}
await Promise.all(timers);
await until(() => sent.every((s) => results.has(s.id)), 30_000);

const applied: number[] = [];
const routedIn: number[] = [];
const resulted: number[] = [];
let executed = 0;
let superseded = 0;
let other = 0;
const wire = new Map<string, number>();
for (const r of sim.requests) if (r.fclass === 6 && r.fnum === 8) wire.set(`${r.chan}:${String(r.params['Current'])}`, r.atMs);
for (const s of sent) {
  const r = results.get(s.id);
  if (!r) continue;
  if (r.result.status === 'EXECUTED') {
    executed++;
    const w = wire.get(`${s.channel - 1}:${s.current_a}`);
    if (w !== undefined) applied.push(w - s.atMs);
    const rt = routed.get(s.id);
    if (rt !== undefined) routedIn.push(rt - s.atMs);
    resulted.push(r.kafkaMs - s.atMs);
  } else if (r.result.reason_code === 'BB_MACCOR_SETPOINT_SUPERSEDED') superseded++;
  else other++;
}
process.stdout.write(`\nMaccor direct control: ${channels} channels × ${rate} set-points/s for ${durationS} s (${channels * rate}/s offered), simulator service time ${serviceMs} ms, polls at 1 Hz\n`);
process.stdout.write(`commands ${sent.length}, results ${sent.filter((s) => results.has(s.id)).length}: executed ${executed}, superseded ${superseded}, other ${other}\n`);
process.stdout.write(`${stats('published → routed by the commander', routedIn)}\n`);
process.stdout.write(`${stats('published → applied on the tester', applied)}\n${stats('published → result published', resulted)}\n`);
process.stdout.write(`reading polls during the run: ${sim.requests.filter((r) => r.fclass === 4 && r.fnum === 1).length} (4,1) requests\n`);

await consumer.disconnect();
await producer.disconnect();
await commander.stop();
await collector.stop();
await sim.close();
await kafkaServer.stop();
