/**
 * The runtime's device background jobs on the real Kafka (@busbar/testkit), with a protocol module
 * written in the test (`fake-module.ts`): a job publishes through the store-and-forward buffer and
 * advances its "cursor" only once Kafka acknowledged; a failing run is counted and run again after
 * a backoff on the session the supervisor reconnected; a stop waits for the step in progress.
 */
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { DeviceEvent, Reading } from '@busbar/avro';
import { deviceEventSerde, readingSerde } from '@busbar/avro';
import type { Counter, Labels, MetricSpec, Metrics } from '@busbar/core';
import { BusbarError, noopLogger, noopMetrics } from '@busbar/core';
import { createKafka, ensureTopics, readTopicToEnd, topicsConfigSchema } from '@busbar/kafka';
import { sharedKafka } from '@busbar/testkit/shared';
import type { CollectorRuntimeConfig, RunningCollector } from '../src/collector.js';
import { startCollector } from '../src/collector.js';
import { fakeModule, jobReading } from './fake-module.js';

let brokers: string[];
let kafka: Kafka;
const running: RunningCollector[] = [];

beforeAll(async () => {
  brokers = (await sharedKafka()).brokers;
  kafka = createKafka({ brokers, clientId: 'collector-kit-jobs-test' });
}, 120_000);

afterAll(async () => {
  for (const c of running.splice(0)) await c.stop().catch(() => undefined);
}, 60_000);

/** A configuration with fresh topics and a fresh buffer file. */
async function config(): Promise<CollectorRuntimeConfig & { readonly topics: { readonly readings: string; readonly deviceEvents: string } }> {
  const run = `ck-jobs-${randomUUID().slice(0, 8)}`;
  const topics = topicsConfigSchema.parse({ readings: `${run}.readings`, deviceEvents: `${run}.events`, commands: `${run}.commands`, deviceCommands: `${run}.device-commands`, commandResults: `${run}.results`, alerts: `${run}.alerts`, deadLetter: `${run}.dead-letter` });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
  await admin.disconnect();
  return { kafka: { brokers }, topics, instanceId: run, maxCommandLifetimeMs: 60_000, devices: [{ id: 'dev-1', pollIntervalMs: 200 }] as never, buffer: { path: join(mkdtempSync(join(tmpdir(), 'ck-jobs-')), 'buffer.sqlite'), maxBytes: 1 << 22, maxAgeMs: 3_600_000, degradedAfterMs: 10_000 } };
}

/** The job's readings on Kafka. */
async function jobReadings(topic: string): Promise<Reading[]> {
  const out: Reading[] = [];
  await readTopicToEnd({ kafka, topic, decoder: readingSerde }, (r) => {
    if (r.states.source === 'job') out.push(r);
  });
  return out;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Counters kept in memory, by name and labels. */
function memoryMetrics(): Metrics & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    ...noopMetrics,
    counts,
    counter: (spec: MetricSpec): Counter => ({ inc: (l?: Labels, v = 1) => void counts.set(`${spec.name}${JSON.stringify(l ?? {})}`, (counts.get(`${spec.name}${JSON.stringify(l ?? {})}`) ?? 0) + v) }),
  };
}

describe('collector-kit > device background jobs on Kafka', () => {
  it('publishes through the buffer, advances the cursor after the acknowledgement, and after a failed run (the session lost) runs again on the reconnected session', async () => {
    const cfg = await config();
    const cursor: number[] = [];
    let i = 0;
    const { module, sessions } = fakeModule((device) => ({
      run: async (session, ctx) => {
        if (session.n === 1) {
          session.lose(new BusbarError('BB_TEST_LINK', 'link gone'));
          throw new BusbarError('BB_TEST_LINK', 'the link went during the job');
        }
        if (cursor.length >= 3) return;
        const batch = [++i, ++i].map((n) => jobReading(device.id, n, ctx.nextSequence()));
        await ctx.publishAcknowledged(batch);
        cursor.push(i); // after the acknowledgement only
      },
    }));
    const metrics = memoryMetrics();
    const c = await startCollector(module, 'collector-fake', cfg, { logger: noopLogger, metrics });
    running.push(c);
    await until('three acknowledged job runs', () => cursor.length >= 3).catch((e: unknown) => { throw new Error(`${String(e)} sessions=${sessions.length} cursor=${cursor.join()} metrics=${JSON.stringify([...metrics.counts])}`); });
    expect(sessions.length).toBeGreaterThanOrEqual(2); // the supervisor reconnected after the reported loss
    expect(metrics.counts.get('busbar_collector_job_errors_total{"device":"dev-1","job":"fake-job","code":"BB_TEST_LINK"}')).toBe(1);
    await until('the job health to be ok', () => (c.health().details.jobs as Record<string, string> | undefined)?.['dev-1'] === 'fake-job: ok');
    // every record the cursor covers is in Kafka, in order, once
    const got = await jobReadings(cfg.topics.readings);
    expect(got.map((r) => r.values.i)).toEqual(Array.from({ length: cursor.at(-1)! }, (_, k) => k + 1));
    expect(new Set(got.map((r) => r.sequence)).size).toBe(got.length);
  }, 60_000);

  it('a stop aborts the job\'s signal and waits for the step in progress: its records acknowledged, its cursor advanced', async () => {
    const cfg = await config();
    const cursor: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let abortedDuringStep = false;
    const { module } = fakeModule((device) => ({
      intervalMs: 60_000,
      run: async (_session, ctx) => {
        started = true;
        await gate;
        abortedDuringStep = ctx.signal.aborted;
        await ctx.publishAcknowledged([jobReading(device.id, 1, ctx.nextSequence())]);
        await ctx.publishEvents([{ event_id: randomUUID(), device_id: device.id, protocol: 'fake', timestamp: new Date(), kind: 'FAULT', reason: 'from the job', error_code: 'BB_TEST_JOB' }]);
        cursor.push(1);
      },
    }));
    const c = await startCollector(module, 'collector-fake', cfg, { logger: noopLogger, metrics: noopMetrics });
    await until('the job step to start', () => started);
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false); // waits for the step in progress
    release();
    await stopping;
    expect(abortedDuringStep).toBe(true);
    expect(cursor).toEqual([1]);
    expect((await jobReadings(cfg.topics.readings)).map((r) => r.values.i)).toEqual([1]);
    // the job's device event went the same way (ctx.publishEvents)
    const faults: DeviceEvent[] = [];
    await readTopicToEnd({ kafka, topic: cfg.topics.deviceEvents, decoder: deviceEventSerde }, (e) => {
      if (e.kind === 'FAULT') faults.push(e);
    });
    expect(faults.map((e) => [e.device_id, e.reason, e.error_code])).toEqual([['dev-1', 'from the job', 'BB_TEST_JOB']]);
  }, 60_000);
});
