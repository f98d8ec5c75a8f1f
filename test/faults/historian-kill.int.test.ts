/**
 * Fault: the historian is killed with SIGKILL (`kill -9`) while readings stream in, and started
 * again. It commits Kafka offsets only after InfluxDB acknowledged a batch, so the restarted
 * process re-reads from the last commit: nothing is lost, and the readings written but not yet
 * committed are written a second time (InfluxDB overwrites the same series and timestamp).
 * Counted here: lost = produced − distinct points stored; duplicated = points written by the first
 * process (stored when it died) + points written by the second (its metric) − produced.
 * Real Kafka and InfluxDB (the run's shared servers), the historian as a separate process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { recordRow } from './support/report.js';
import { serviceProcess } from './support/service-process.js';
import type { ServiceProcess } from './support/service-process.js';
import { storedPoints, streamReadings, until } from './support/stream.js';

const TOTAL = 20_000; // 200 requests of 100 readings, one every 40 ms: about 10 s of stream
let env: PipelineEnv;
let historian: ServiceProcess;

beforeAll(async () => {
  env = await startPipelineEnv({ namespace: 'faults-historian', clientId: 'faults' });
  historian = serviceProcess('historian', mkdtempSync(join(tmpdir(), 'busbar-faults-historian-')), {
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `faults-historian-${env.run}`,
    influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, batchLines: 1000, retryInitialMs: 200, retryMaxMs: 1000 },
  });
  await historian.start();
}, 180_000);

afterAll(async () => {
  await historian?.stop();
  await env?.stop();
}, 60_000);

describe('faults > historian kill -9 mid-stream', () => {
  it('loses nothing: after the restart every reading is in InfluxDB; the re-written ones are counted', async () => {
    const stream = streamReadings(env, { total: TOTAL, perBatch: 100, everyMs: 40 });
    await until(async () => (await storedPoints(env)) >= TOTAL / 4, 'a quarter of the stream stored before the kill', 60_000);
    await historian.kill9();
    const sentAtKill = stream.sent();
    const storedAtKill = await storedPoints(env); // what the first process wrote (nothing writes now)
    expect(sentAtKill).toBeLessThan(TOTAL); // killed mid-stream
    const restartedAt = Date.now();
    await historian.start();
    await until(async () => (await storedPoints(env)) >= sentAtKill, 'what was sent before the kill stored after the restart', 120_000);
    const recoveryS = (Date.now() - restartedAt) / 1000; // restart (process start included) → caught up with the kill
    await stream.done;
    await until(async () => (await storedPoints(env)) >= TOTAL, 'every reading stored', 120_000);
    const stored = await storedPoints(env);
    const writtenAfter = await historian.metric('busbar_historian_points_written_total');
    const duplicated = storedAtKill + writtenAfter - TOTAL;
    expect(stored).toBe(TOTAL); // 0 lost (and nothing foreign)
    expect(duplicated).toBeGreaterThanOrEqual(0);
    expect(duplicated).toBeLessThan(TOTAL / 2); // at most the uncommitted tail, never a replay from the start
    expect(await historian.metric('busbar_kafka_dead_letters_total')).toBe(0);
    recordRow({ scenario: 'historian kill -9 mid-stream', produced: TOTAL, stored, lost: TOTAL - stored, duplicated, recoveryS, notes: `killed with ${storedAtKill} stored, ${sentAtKill} sent` });
  }, 300_000);
});
