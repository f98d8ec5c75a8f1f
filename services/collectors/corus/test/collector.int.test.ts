/**
 * The Corus collector on the generic runtime, on the real Kafka (@busbar/testkit) with the driver's
 * simulator: when the device drops the line in the middle of a log window, the session reports its
 * loss, the runtime reconnects (DISCONNECTED, then CONNECTED with the outage), and the backfill
 * resumes on the new session from its cursor — every record published once, in order.
 */
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceEvent, Reading } from '@busbar/avro';
import { deviceEventSerde, readingSerde } from '@busbar/avro';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import type { CorusSimulator } from '@busbar/driver-itron-corus';
import { createKafka, ensureTopics, readTopicToEnd } from '@busbar/kafka';
import type { RunningCollector } from '@busbar/collector-kit';
import { sharedKafka } from '@busbar/testkit/shared';
import { startCorusCollector } from '../src/collector.js';
import { collectorConfigSchema, resolveCollectorConfig } from '../src/config.js';

const HISTORY = 40; // interval records (15 min) on the device at start
let sim: CorusSimulator;
let collector: RunningCollector | undefined;

beforeAll(async () => {
  sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: HISTORY, seed: 9 });
}, 60_000);

afterAll(async () => {
  await collector?.stop().catch(() => undefined);
  await sim?.close();
}, 60_000);

/** Counters kept in memory, by name and labels. */
function memoryMetrics(): Metrics & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const key = (name: string, l?: Labels): string => `${name}${JSON.stringify(l ?? {})}`;
  return { ...noopMetrics, counts, counter: (spec: MetricSpec): Counter => ({ inc: (l?: Labels, v = 1) => void counts.set(key(spec.name, l), (counts.get(key(spec.name, l)) ?? 0) + v) }) };
}

describe('collector-corus > on the runtime', () => {
  it('a line dropped mid-backfill: loss reported, reconnected by the runtime, the backfill resumes from its cursor — every record once, in order', async () => {
    const { brokers } = await sharedKafka();
    const kafka = createKafka({ brokers, clientId: 'collector-corus-test' });
    const run = `corus-rt-${randomUUID().slice(0, 8)}`;
    const topics = { readings: `${run}.readings`, deviceEvents: `${run}.events`, commands: `${run}.commands`, deviceCommands: `${run}.device-commands`, commandResults: `${run}.results`, alerts: `${run}.alerts`, deadLetter: `${run}.dead-letter` };
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    await admin.disconnect();
    const dir = mkdtempSync(join(tmpdir(), 'corus-rt-'));
    const cfg = resolveCollectorConfig(collectorConfigSchema.parse({
      kafka: { brokers }, topics, instanceId: run, stateDir: join(dir, 'state'), buffer: { path: join(dir, 'buffer.sqlite') },
      devices: [{ id: 'corus-1', connection: { kind: 'tcp', host: sim.host, port: sim.port }, map: EXAMPLE_CORUS_MAP, pollIntervalMs: 500, logChunkS: 3600, logs: { lookbackS: HISTORY * 900 + 3600, intervalMs: 200, rescanS: 0 } }],
    }), '.');
    // the third database request's second frame: half of it, then the device drops the line
    sim.setFaults([{ on: 'database-frame', kind: 'disconnect', after: 4 }]);
    const metrics = memoryMetrics();
    collector = await startCorusCollector(cfg, { logger: noopLogger, metrics });

    const readAll = async (): Promise<{ logs: Reading[]; events: DeviceEvent[] }> => {
      const logs: Reading[] = [];
      const events: DeviceEvent[] = [];
      await readTopicToEnd({ kafka, topic: topics.readings, decoder: readingSerde }, (r) => void (r.states.log === 'interval' && logs.push(r)));
      await readTopicToEnd({ kafka, topic: topics.deviceEvents, decoder: deviceEventSerde }, (e) => void events.push(e));
      return { logs, events };
    };
    const expected = sim.logRecords('interval').map((r) => r.endDate).reverse();
    let got = await readAll();
    const deadline = Date.now() + 60_000;
    while (got.logs.length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      got = await readAll();
    }
    expect(got.logs.map((r) => r.states.device_time)).toEqual(expected); // once each, oldest first
    expect(got.events.map((e) => e.kind)).toEqual(['CONNECTED', 'DISCONNECTED', 'CONNECTED']);
    expect(got.events[1]).toMatchObject({ error_code: 'BB_CORUS_CONNECTION_CLOSED' });
    expect(Number(got.events[2]!.details.outage_ms)).toBeGreaterThan(0);
    expect(sim.stats.connections).toBe(2); // one session, then one new session opened by the runtime
    // one failed run: the window in flight (the link's own error, or the session's closed-after-loss error when the link's loss ended the session first)
    const jobErrors = [...metrics.counts].filter(([k]) => k.startsWith('busbar_collector_job_errors_total{"device":"corus-1","job":"log-backfill","code":"BB_CORUS_'));
    expect(jobErrors.map(([, n]) => n)).toEqual([1]);
    expect(jobErrors[0]![0]).toMatch(/BB_CORUS_(CONNECTION_CLOSED|SESSION_CLOSED)/);
    expect(collector.health().details.jobs).toEqual({ 'corus-1': 'log-backfill: ok' });
  }, 120_000);
});
