/**
 * Fault: InfluxDB goes away for 20 s while readings stream in. The historian retries the batch with
 * capped backoff and commits nothing meanwhile (lag grows); once InfluxDB is back everything is
 * written: 0 lost. Counted: lost = produced − distinct points stored; duplicated = points InfluxDB
 * acknowledged − produced; recovery = from InfluxDB's return until what was sent by then is stored.
 * Real Kafka (the run's shared server), a private InfluxDB (stopped and started on the same port
 * with its data), the historian as a separate process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnvWithPrivateInflux } from '../support/pipeline.js';
import { recordRow } from './support/report.js';
import { serviceProcess } from './support/service-process.js';
import type { ServiceProcess } from './support/service-process.js';
import { storedPoints, streamReadings, until } from './support/stream.js';

const TOTAL = 9_000; // 90 requests of 100 readings, one every 300 ms: about 30 s of stream
const OUTAGE_MS = 20_000;
let env: PipelineEnvWithPrivateInflux;
let historian: ServiceProcess;

beforeAll(async () => {
  env = await startPipelineEnv({ namespace: 'faults-influx', clientId: 'faults', privateInflux: true });
  historian = serviceProcess('historian', mkdtempSync(join(tmpdir(), 'busbar-faults-influx-')), {
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `faults-influx-${env.run}`,
    influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, batchLines: 1000, retryInitialMs: 200, retryMaxMs: 2000 },
  });
  await historian.start();
}, 180_000);

afterAll(async () => {
  await historian?.stop();
  await env?.stop();
}, 60_000);

describe('faults > InfluxDB outage during a stream', () => {
  it('retries through a 20 s outage and stores every reading once InfluxDB is back', async () => {
    const stream = streamReadings(env, { total: TOTAL, perBatch: 100, everyMs: 300 });
    await until(async () => (await storedPoints(env)) >= 1000, 'readings stored before the outage', 60_000);
    await env.influx.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    expect(await historian.metric('busbar_historian_influx_up')).toBe(0);
    expect(await historian.metric('busbar_historian_write_errors_total')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - stoppedAt)));
    const sentAtReturn = stream.sent();
    await env.influx.start();
    const returnedAt = Date.now();
    await until(async () => (await storedPoints(env)) >= sentAtReturn, 'what was sent during the outage stored after it', 120_000);
    const recoveryS = (Date.now() - returnedAt) / 1000;
    await stream.done;
    await until(async () => (await storedPoints(env)) >= TOTAL, 'every reading stored', 120_000);
    const stored = await storedPoints(env);
    const written = await historian.metric('busbar_historian_points_written_total');
    expect(stored).toBe(TOTAL); // 0 lost
    expect(written).toBeGreaterThanOrEqual(TOTAL);
    expect(historian.running()).toBe(true);
    expect(await historian.metric('busbar_historian_dropped_total')).toBe(0);
    recordRow({ scenario: `InfluxDB outage ${(OUTAGE_MS / 1000).toFixed(0)} s during a stream`, produced: TOTAL, stored, lost: TOTAL - stored, duplicated: written - TOTAL, recoveryS, notes: `${sentAtReturn} sent when InfluxDB returned` });
  }, 300_000);
});
