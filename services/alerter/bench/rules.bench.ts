/**
 * What the rules cost the alerter's handler, in memory (no Kafka, no mail): a batch of readings through
 * a threshold, a scoped threshold, a rate-of-change and a no-data rule, and the timer tick over many
 * watched series (no-data and pending disconnects). Printed as readings/s and ms per tick. Not an
 * assertion: `npm run bench -w @busbar/alerter` (`BENCH_DEVICES` devices, default 10 000).
 */
import { ManualClock } from '@busbar/core';
import type { DeviceEvent, Reading } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { enginesOf } from '../src/config.js';
import { createReadingsHandler } from '../src/handler.js';
import { alerterConfigSchema } from '../src/index.js';

const devices = Number(process.env['BENCH_DEVICES'] ?? 10_000);
const control: BatchControl = { heartbeat: () => Promise.resolve(), isRunning: () => true, groupId: 'bench', nextOffset: { topic: 'readings', partition: 0, offset: '1' }, commit: () => Promise.resolve(), commitLater: () => Promise.resolve() };
const EVENTS = 'events';

const engines = enginesOf(alerterConfigSchema.parse({
  kafka: { brokers: ['127.0.0.1:9092'] },
  rules: [
    { id: 'hot', signal: 'temperature_c', critical: 60, clear: 50 },
    { id: 'hot-charging', signal: 'temperature_c', critical: 45, clear: 40, when: { states: { status: ['Charge'] }, values: { current_a: { above: 0 } } } },
    { type: 'rate_of_change', id: 'heating', signal: 'temperature_c', per: 'min', windowMs: 60_000, critical: 2, clear: 1 },
    { type: 'no_data', id: 'silent', timeoutMs: 30_000 },
    { type: 'disconnect', id: 'down', forMs: 30_000 },
  ],
}));
const clock = new ManualClock(0);
let published = 0;
const handle = createReadingsHandler({ engines, eventsTopic: EVENTS, clock, writer: { write: (b) => ((published += b.alerts.length), Promise.resolve()) } });

const reading = (device: number, atMs: number): ConsumedRecord<Reading> => ({
  value: { device_id: `dev-${device}`, protocol: 'arbin-cti', channel: 1, timestamp: new Date(atMs), values: { temperature_c: 25 + (device % 10), current_a: 1.5, voltage_v: 3.7 }, exact_values: {}, states: { status: 'Charge', test_name: 'cell-1' }, quality: 'GOOD', sequence: 0, record_type: 'cycler_channel' },
  key: `dev-${device}`, topic: 'readings', partition: device % 6, offset: '0', kafkaTimestampMs: atMs,
});
const disconnected = (device: number, atMs: number): ConsumedRecord<DeviceEvent> => ({
  value: { event_id: `e-${device}`, device_id: `dev-${device}`, protocol: 'arbin-cti', channel: null, timestamp: new Date(atMs), kind: 'DISCONNECTED', previous_state: null, state: null, reason: 'lost', error_code: null, details: {} },
  key: `dev-${device}`, topic: EVENTS, partition: device % 3, offset: '0', kafkaTimestampMs: atMs,
});

const BATCH = 500;
const rounds = 7; // 7 readings per device, 10 s apart: the rate-of-change window fills
const t0 = process.hrtime.bigint();
for (let round = 0; round < rounds; round++) {
  clock.set(round * 10_000);
  for (let first = 0; first < devices; first += BATCH) {
    const batch: ConsumedRecord<Reading>[] = [];
    for (let d = first; d < Math.min(first + BATCH, devices); d++) batch.push(reading(d, round * 10_000));
    await handle(batch, control);
  }
}
const s = Number(process.hrtime.bigint() - t0) / 1e9;
const n = devices * rounds;
console.log(`readings through 5 rules   ${Math.round(n / s).toLocaleString('en-US').padStart(10)} readings/s  (${n} in ${s.toFixed(3)} s, batches of ${BATCH})`);

// every device disconnects, then ticks while nothing is due, then one tick where all fire
for (let first = 0; first < devices; first += BATCH) {
  const batch: ConsumedRecord<DeviceEvent>[] = [];
  for (let d = first; d < Math.min(first + BATCH, devices); d++) batch.push(disconnected(d, 60_000));
  await handle(batch, control);
}
const ticks = 20;
const t1 = process.hrtime.bigint();
for (let i = 0; i < ticks; i++) {
  clock.set(61_000 + i * 100);
  await handle.tick();
}
const idleMs = Number(process.hrtime.bigint() - t1) / 1e6 / ticks;
console.log(`tick, nothing due            ${idleMs.toFixed(2).padStart(10)} ms  (${devices} no-data + ${devices} pending disconnect series)`);
const before = published;
clock.set(200_000);
const t2 = process.hrtime.bigint();
await handle.tick();
const fireMs = Number(process.hrtime.bigint() - t2) / 1e6;
console.log(`tick, all due                ${fireMs.toFixed(2).padStart(10)} ms  (${published - before} FIRING transitions)`);
