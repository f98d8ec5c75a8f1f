/**
 * Command latency, end to end, through a real Kafka started by @busbar/testkit and the commander
 * composition in this process (`startCommander`), writing to the Modbus power-supply simulator
 * (`@busbar/driver-modbus`) over TCP on loopback:
 *
 *   bench → busbar.commands → commander (decode, policy, safety limits, admission, journal) →
 *   Modbus write (FC 06/16) → simulator → busbar.command-results → bench
 *
 * For each of N commands (`BENCH_N`, default 300; `modbus.write voltage_setpoint_v`, alternating
 * values, unsigned with `policy.requireSignature: false`), one every `BENCH_INTERVAL_MS` (default
 * 50 ms), times from just before the publish:
 * - **Kafka floor**: a plain consumer (its own group) receives the command itself — produce → consume;
 * - **result**: a consumer of the results topic receives its EXECUTED result.
 * Prints p50/p90/p99/max per path and the ratio of the p99s (issue 15's target: result p99 ≤ 1.5× the
 * floor's p99). Bounded: N commands, loopback only. Not an assertion:
 *
 *   npm run bench -w @busbar/commander
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput } from '@busbar/avro';
import { commandResultSerde, commandSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, ensureTopics } from '@busbar/kafka';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import { startKafka } from '@busbar/testkit';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '../src/index.js';

const n = Number(process.env['BENCH_N'] ?? 300);
const intervalMs = Number(process.env['BENCH_INTERVAL_MS'] ?? 50);

const kafkaServer = await startKafka();
const sim = await startPowerSupplySimulator({ seed: 1, tickMs: 100 });
const run = randomUUID().slice(0, 8);
const topics = { ...DEFAULT_TOPICS, commands: `bench.commands.${run}`, commandResults: `bench.command-results.${run}`, deviceCommands: `bench.device-commands.${run}`, deadLetter: `bench.dead-letter.${run}` };
const kafka = new Kafka({ clientId: 'commander-bench', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic: topics.commands, numPartitions: 3 }, { topic: topics.commandResults, numPartitions: 3 }, { topic: topics.deviceCommands, numPartitions: 3 }, { topic: topics.deadLetter, numPartitions: 1 }]);
await admin.disconnect();

const device = { id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unitId: 1, pollIntervalMs: 1000, timeoutMs: 1000, map: { points: POWER_SUPPLY_MAP.points }, deviceClass: 'power-supply' };
const commander = await startCommander(resolveCommanderConfig(commanderConfigSchema.parse({
  kafka: { brokers: kafkaServer.brokers }, topics, groupId: `bench-commander-${run}`, policy: { requireSignature: false }, modbus: { devices: [device] },
}), '.'), { logger: noopLogger, metrics: noopMetrics });
for (let end = Date.now() + 60_000; !Object.values(commander.ready!()).every((c) => c.ok); ) {
  if (Date.now() > end) throw new Error(`commander not ready: ${JSON.stringify(commander.ready!())}`);
  await new Promise((r) => setTimeout(r, 100));
}

const sentAt = new Map<string, number>();
const floorAt = new Map<string, number>();
const resultAt = new Map<string, number>();
const statuses = new Map<string, number>();
const consumers = [kafka.consumer({ groupId: `bench-floor-${run}`, maxWaitTimeInMs: 1000 }), kafka.consumer({ groupId: `bench-results-${run}`, maxWaitTimeInMs: 1000 })];
const [floor, results] = consumers as [ReturnType<typeof kafka.consumer>, ReturnType<typeof kafka.consumer>];
for (const [c, topic] of [[floor, topics.commands], [results, topics.commandResults]] as const) {
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
}
await floor.run({ eachMessage: async ({ message }) => {
  if (message.value === null) return;
  const id = commandSerde.decode(message.value).command_id;
  if (!floorAt.has(id)) floorAt.set(id, performance.now());
} });
await results.run({ eachMessage: async ({ message }) => {
  if (message.value === null) return;
  const r = commandResultSerde.decode(message.value);
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  if (r.status === 'EXECUTED' && !resultAt.has(r.command_id)) resultAt.set(r.command_id, performance.now());
} });

const producer = kafka.producer();
await producer.connect();
const send = async (value: number): Promise<string> => {
  const command: CommandInput = { command_id: randomUUID(), issuer: 'bench', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value } };
  sentAt.set(command.command_id, performance.now());
  await producer.send({ topic: topics.commands, acks: -1, messages: [{ key: 'psu-1', value: commandSerde.encode(command) }] });
  return command.command_id;
};
// warm-up: every consumer joined and the whole path once, not counted
const warm = await send(10);
for (let end = Date.now() + 60_000; !(resultAt.has(warm) && floorAt.has(warm)) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
sentAt.clear();

for (let i = 0; i < n; i++) {
  await send(10 + (i % 20));
  await new Promise((r) => setTimeout(r, intervalMs));
}
for (let end = Date.now() + 60_000; (resultAt.size < n + 1 || floorAt.size < n + 1) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));

function stats(at: Map<string, number>): number[] {
  const ms: number[] = [];
  for (const [id, sent] of sentAt) {
    const got = at.get(id);
    if (got !== undefined) ms.push(got - sent);
  }
  return ms.sort((a, b) => a - b);
}
const q = (ms: number[], p: number): number => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))] ?? NaN;
const line = (name: string, ms: number[]): string => `${name.padEnd(46)} ${String(ms.length).padStart(4)}/${n}   p50 ${q(ms, 0.5).toFixed(1).padStart(6)}   p90 ${q(ms, 0.9).toFixed(1).padStart(6)}   p99 ${q(ms, 0.99).toFixed(1).padStart(6)}   max ${q(ms, 1).toFixed(1).padStart(6)} ms`;
const floorMs = stats(floorAt);
const resultMs = stats(resultAt);
console.log(`command latency, ${n} modbus.write commands, one every ${intervalMs} ms, from just before the publish:`);
console.log(line('Kafka produce → consume (floor)', floorMs));
console.log(line('command → device write → EXECUTED result', resultMs));
console.log(`result p99 / floor p99: ${(q(resultMs, 0.99) / q(floorMs, 0.99)).toFixed(2)}×   results by status: ${JSON.stringify(Object.fromEntries(statuses))}`);

await producer.disconnect();
for (const c of consumers) await c.disconnect();
await commander.stop();
await sim.close();
await kafkaServer.dispose();
