/**
 * Faults under a polling collector (a process), with the historian writing to InfluxDB.
 *
 * 1. Kafka outage (the acceptance scenario of issue #9): the Kafka broker goes away for 60 s while a collector
 * polls 10 devices at 10 Hz. With store-and-forward the poll loop never waits on Kafka: it keeps
 * polling on schedule during the outage, the readings wait in the collector's durable buffer, and
 * after the broker is back every reading reaches InfluxDB through the historian — none lost.
 *
 * "On schedule" is measured against a control: a second collector process with the same 10 devices
 * (its own simulator, the same poll interval) publishing to the run's shared Kafka, which stays up.
 * Both are counted over the same wall-clock window (the outage), on the same loaded machine, so the
 * timer drift both suffer cancels out: the collector under the outage must poll within 1 % of the
 * control. Its count against the nominal schedule (window ÷ interval × devices) is reported too.
 *
 * Counted: produced = readings the collector took (`busbar_collector_readings_total`, per device);
 * stored = distinct InfluxDB points per device (the historian writes one point per reading, keyed by
 * device and timestamp); lost = produced − stored; duplicated = points the historian wrote − stored;
 * recovery = from the broker's return until every reading of the outage is stored.
 *
 * 2. Collector `kill -9`: Kafka goes away for a few seconds (so that the collector's buffer holds
 * readings), the collector is killed, Kafka comes back and the collector is started again on the
 * same buffer file: it forwards what it had buffered before the kill. Asserted: the readings the
 * buffer had acknowledged before the kill (its `busbar_collector_readings_total` read just before)
 * are all in InfluxDB (points timestamped before the kill ≥ that count; a poll in flight at the
 * kill is the collector's own downtime), and every reading of the restarted process is too.
 *
 * Real servers: a private Kafka (stopped and started on the same port with its data), the run's
 * shared Kafka (control) and InfluxDB (a bucket of its own); Modbus TCP simulators; the collectors and
 * the historian as separate processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '@busbar/kafka';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { createBucket, sharedKafka } from '@busbar/testkit/shared';
import type { InfluxBucket } from '@busbar/testkit/shared';
import { recordRow } from './support/report.js';
import { serviceProcess } from './support/service-process.js';
import type { ServiceProcess } from './support/service-process.js';
import { until } from './support/stream.js';

const OUTAGE_MS = 60_000;
const POLL_MS = 100;
const DEVICES = Array.from({ length: 10 }, (_, i) => `psu-${i}`);
const run = `${process.pid}-${Date.now()}`;
const TOPICS = { readings: `faults.outage.${run}.readings`, deviceEvents: `faults.outage.${run}.device-events`, deadLetter: `faults.outage.${run}.dead-letter`, deviceCommands: `faults.outage.${run}.device-commands` };
let kafka: KafkaHandle;
let bucket: InfluxBucket;
let sims: PowerSupplySimulator[] = [];
let killSim: PowerSupplySimulator | undefined;
let collector: ServiceProcess;
let control: ServiceProcess;
let historian: ServiceProcess;
const processes: ServiceProcess[] = [];

/** A collector process of the 10 devices against `port`, publishing to `brokers`. */
function collectorProcess(name: string, brokers: readonly string[], port: number, devices: readonly string[] = DEVICES): ServiceProcess {
  const dir = mkdtempSync(join(tmpdir(), `busbar-faults-${name}-`));
  const p = serviceProcess('collector-modbus', dir, {
    kafka: { brokers }, topics: TOPICS, instanceId: `${name}-${run}`,
    buffer: { path: join(dir, 'state', 'buffer.sqlite'), degradedAfterMs: 1000 },
    devices: devices.map((id) => ({ id, connection: { kind: 'tcp', host: '127.0.0.1', port }, pollIntervalMs: POLL_MS, timeoutMs: 1000, deviceClass: 'power-supply', map: { points: POWER_SUPPLY_MAP.points } })),
  });
  processes.push(p);
  return p;
}

/** Distinct points per device in the bucket (one per reading), of the devices `prefix`…, timestamped in [`fromMs`, `toMs`). */
async function storedPerDevice(prefix = 'psu-', fromMs = Date.now() - 3_600_000, toMs = Date.now() + 60_000): Promise<Map<string, number>> {
  const api = new InfluxDB({ url: bucket.url, token: bucket.token }).getQueryApi(bucket.org);
  const range = `range(start: ${new Date(fromMs).toISOString()}, stop: ${new Date(toMs).toISOString()})`;
  const rows = await api.collectRows<{ device: string; _value: number }>(`import "strings"\nfrom(bucket: "${bucket.bucket}") |> ${range} |> filter(fn: (r) => r._measurement == "modbus:power-supply" and r._field == "voltage_v" and strings.hasPrefix(v: r.device, prefix: "${prefix}")) |> group(columns: ["device"]) |> count()`);
  return new Map(rows.map((r) => [r.device, Number(r._value)]));
}
/** `/readyz` of a process: its status and its reasons. */
async function readyz(p: ServiceProcess): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`${p.opsUrl()}/readyz`);
  const body = (await res.json()) as { reasons?: string[] };
  return { status: res.status, reasons: body.reasons ?? [] };
}
const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const polls = (p: ServiceProcess): Promise<number> => p.metric('busbar_device_polls_total', { outcome: 'ok' });

beforeAll(async () => {
  let shared;
  [kafka, bucket, shared, ...sims] = await Promise.all([startKafka(), createBucket('faults-outage'), sharedKafka(), startPowerSupplySimulator({ seed: 11 }), startPowerSupplySimulator({ seed: 12 })]);
  for (const brokers of [kafka.brokers, shared.brokers]) {
    const admin = new Kafka({ clientId: 'faults-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await ensureTopics(admin, Object.values(TOPICS).map((topic) => ({ topic, numPartitions: 3 })));
    await admin.disconnect();
  }
  historian = serviceProcess('historian', mkdtempSync(join(tmpdir(), 'busbar-faults-outage-historian-')), {
    kafka: { brokers: kafka.brokers }, topics: TOPICS, groupId: `faults-outage-historian-${run}`,
    influx: { url: bucket.url, org: bucket.org, bucket: bucket.bucket, token: bucket.token, batchLines: 2000, retryInitialMs: 200, retryMaxMs: 2000 },
  });
  collector = collectorProcess('outage', kafka.brokers, sims[0]!.port);
  control = collectorProcess('control', shared.brokers, sims[1]!.port);
  processes.push(historian);
  await Promise.all([historian.start(), collector.start(), control.start()]);
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all([...sims, ...(killSim ? [killSim] : [])].map((s) => s.close()));
  await kafka?.dispose();
}, 120_000);

describe('faults > collector during a 60 s Kafka outage (store-and-forward, 10 devices × 10 Hz)', () => {
  it('polls on schedule through the outage (within 1 % of a control collector) and every reading reaches InfluxDB after it', async () => {
    await until(async () => (await storedPerDevice()).size === DEVICES.length, 'readings of every device stored before the outage', 60_000);

    expect((await readyz(collector)).status).toBe(200); // every device session up, forwarding keeping up
    await kafka.stop();
    const [atStop, controlAtStop] = await Promise.all([polls(collector), polls(control)]);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    const health = (await (await fetch(`${collector.opsUrl()}/healthz`)).json()) as { status?: string };
    expect(health.status).toBe('degraded'); // forwarding behind, said so
    expect(await readyz(collector)).toEqual({ status: 503, reasons: [expect.stringMatching(/^forwarding: (Kafka does not acknowledge .*|forwarding is behind): \d+ records buffered/)] }); // the devices are fine
    expect(await collector.metric('busbar_collector_buffer_records')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - stoppedAt)));
    const [atStart, controlAtStart] = await Promise.all([polls(collector), polls(control)]);
    const outageMs = Date.now() - stoppedAt;
    const buffered = await collector.metric('busbar_collector_buffer_records');
    await kafka.start();
    const returnedAt = Date.now();

    const duringOutage = atStart - atStop;
    const controlPolls = controlAtStart - controlAtStop;
    const scheduled = (outageMs / POLL_MS) * DEVICES.length;
    expect(Math.abs(duringOutage - controlPolls)).toBeLessThanOrEqual(0.01 * controlPolls); // on schedule: within 1 % of the no-outage run
    expect(buffered).toBeGreaterThanOrEqual(duringOutage); // they waited in the buffer, not in the poll loop

    // Stop taking readings (the devices go away), so that the count to reach is fixed.
    await sims[0]!.close();
    await until(async () => (await collector.metric('busbar_collector_buffer_records')) === 0, 'the buffer drained after the broker returned', 120_000);
    const produced = new Map(await Promise.all(DEVICES.map(async (d) => [d, await collector.metric('busbar_collector_readings_total', { device: d })] as const)));
    await until(async () => sum(await storedPerDevice()) >= sum(produced), 'every reading stored in InfluxDB', 120_000);
    const recoveryS = (Date.now() - returnedAt) / 1000;
    await new Promise((r) => setTimeout(r, 1000)); // anything foreign or late would show now
    const stored = await storedPerDevice();
    for (const d of DEVICES) expect(stored.get(d), d).toBe(produced.get(d)); // 0 lost, per device
    expect(await collector.metric('busbar_collector_buffer_dropped_total')).toBe(0);
    expect(await historian.metric('busbar_kafka_dead_letters_total')).toBe(0);
    const written = await historian.metric('busbar_historian_points_written_total');
    recordRow({
      scenario: `Kafka outage ${(outageMs / 1000).toFixed(0)} s under a collector (10 devices × 10 Hz) → historian → InfluxDB`,
      produced: sum(produced), stored: sum(stored), lost: sum(produced) - sum(stored), duplicated: Math.max(0, written - sum(stored)), recoveryS,
      notes: `polls during the outage ${duringOutage}, control collector (Kafka up) ${controlPolls} (${((duringOutage / controlPolls - 1) * 100).toFixed(2)} %), schedule ${scheduled.toFixed(0)}; ${buffered} buffered at the broker's return`,
    });
  }, 300_000);
});

describe('faults > collector kill -9 with readings in its buffer', () => {
  it('forwards after the restart what its buffer held before the kill; nothing lost besides its own downtime', async () => {
    const devices = ['kill-0', 'kill-1', 'kill-2'];
    killSim = await startPowerSupplySimulator({ seed: 13 });
    const p = collectorProcess('killed', kafka.brokers, killSim.port, devices);
    const writtenBefore = await historian.metric('busbar_historian_points_written_total');
    await p.start();
    await until(async () => (await storedPerDevice('kill-')).size === devices.length, 'readings of every device stored before the kill', 60_000);
    await kafka.stop(); // the buffer fills
    await new Promise((r) => setTimeout(r, 5000));
    const taken = await p.metric('busbar_collector_readings_total'); // acknowledged by the buffer
    const buffered = await p.metric('busbar_collector_buffer_records');
    await p.kill9();
    const killedAt = Date.now();
    expect(buffered).toBeGreaterThan(0);
    await kafka.start();
    const restartedAt = Date.now();
    await p.start(); // same configuration, same buffer file
    await until(async () => sum(await storedPerDevice('kill-', killedAt - 3_600_000, killedAt)) >= taken, 'what the buffer held before the kill stored after the restart', 120_000);
    const recoveryS = (Date.now() - restartedAt) / 1000;
    await new Promise((r) => setTimeout(r, 2000)); // the restarted process polls on
    await killSim.close(); // and stops taking readings, so the count to reach is fixed
    await until(async () => (await readyz(p)).reasons.filter((r) => /^device:kill-\d: session down: /.test(r)).length === devices.length, '/readyz naming each device whose session is down', 30_000);
    await until(async () => (await p.metric('busbar_collector_buffer_records')) === 0, 'the restarted buffer drained', 60_000);
    const takenAfter = await p.metric('busbar_collector_readings_total');
    await until(async () => sum(await storedPerDevice('kill-', killedAt)) >= takenAfter, 'the readings of the restarted process stored', 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const before = sum(await storedPerDevice('kill-', killedAt - 3_600_000, killedAt));
    const after = sum(await storedPerDevice('kill-', killedAt));
    expect(before).toBeGreaterThanOrEqual(taken); // nothing the buffer acknowledged is lost by the kill
    expect(before - taken).toBeLessThanOrEqual(devices.length); // at most the polls between the metric and the kill
    expect(after).toBe(takenAfter);
    expect(takenAfter).toBeGreaterThan(0);
    expect(await p.metric('busbar_collector_buffer_dropped_total')).toBe(0);
    const written = (await historian.metric('busbar_historian_points_written_total')) - writtenBefore; // only these devices' readings reach the historian now
    recordRow({
      scenario: 'collector kill -9 with readings in its buffer (3 devices × 10 Hz, Kafka down 5 s before)', produced: taken + takenAfter, stored: before + after, lost: Math.max(0, taken - before) + (takenAfter - after), duplicated: Math.max(0, written - before - after), recoveryS,
      notes: `${buffered} buffered at the kill, forwarded by the restarted process; ${taken} taken before the kill, ${before} of them stored (${before - taken} polled between the count and the kill); ${takenAfter} after the restart`,
    });
  }, 300_000);
});
